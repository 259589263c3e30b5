"""A whole run: split, train each fold, score the voice-only baseline, report, export a bundle."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from tajweed_desktop.core.model import bundle as bundle_mod
from tajweed_desktop.core.model import frontend
from tajweed_desktop.core.common.atomic import atomic_write_text
from tajweed_desktop.core.model.onnx_export import heads_onnx
from tajweed_desktop.core.model.torch_device import resolve_device
from tajweed_desktop.core.model.networks import FRAME_ARCHITECTURE

from . import baseline, calibration, runfolder
from .data import Dataset
from .evaluate import write_training_fingerprints
from .features import DEFAULT_CACHE, FrameCache, variant_frames
from .folds import make_folds
from .recipe import Recipe
from .report import summarise, write_report
from .train import FoldResult, FrameExamples, RawExamples, fold_state, train_fold

log = logging.getLogger(__name__)


def split_summary(ds: Dataset, folds: list[tuple[list[int], list[int]]]) -> str:
    lines = []
    for k, (tr, va) in enumerate(folds, start=1):
        per_rule = {lab: sum(ds.items[i].label == lab for i in va) for lab in ds.labels}
        groups = sorted({ds.items[i].group for i in va})
        lines.append(f"fold {k}: {len(tr)} train / {len(va)} validation; validation rules {per_rule}; reciters {groups}")
    return "\n".join(lines)


def prepare_split(ds: Dataset, run_dir: Path, strategy: str, k: int, seed: int) -> list[tuple[list[int], list[int]]]:
    """Make the split, or reuse the saved one when resuming; refuse a mismatch with the data.
    Clips that are the same audio (byte-identical, or by fingerprint) always share a fold."""
    folds = make_folds(ds.targets, ds.groups, k, strategy, seed, ds.contexts, ds.shared_audio())
    files = [ds.name(it) for it in ds.items]
    saved = run_dir / "folds.json"
    record = {"strategy": strategy, "k": k, "seed": seed,
              "folds": [{"fold": i + 1, "validation": [files[j] for j in va]} for i, (_, va) in enumerate(folds)]}
    if saved.exists():
        if json.loads(saved.read_text()) != record:
            raise runfolder.RunFolderError(f"{run_dir}: this run folder holds a different split; use a new --run-dir "
                                           "or --fresh")
    else:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(saved, json.dumps(record, indent=1))
    return folds


def train_all(
    ds: Dataset, recipe: Recipe, run_dir: Path, strategy: str = "stratified", k: int = 5, seed: int = 42,
    only_fold: int | None = None, device: str = "auto", progress: bool = True, cache_dir: Path = DEFAULT_CACHE,
    fresh: bool = False,
) -> list[FoldResult]:
    runfolder.start(run_dir, runfolder.run_record(recipe.to_dict(), ds.fingerprint(), strategy, k, seed), fresh)
    folds = prepare_split(ds, run_dir, strategy, k, seed)
    print(split_summary(ds, folds), flush=True)
    dev, note = resolve_device(device)
    if note:
        print(note, flush=True)
    examples = training_examples(ds, recipe, cache_dir, progress)
    results = []
    for i, (tr, va) in enumerate(folds, start=1):
        if only_fold is not None and i != only_fold:
            continue
        results.append(train_fold(ds, i, tr, va, recipe, run_dir / f"fold{i}", seed, dev, progress, examples))
    return results


def training_examples(ds: Dataset, recipe: Recipe, cache_dir: Path = DEFAULT_CACHE,
                      progress: bool = True) -> RawExamples | FrameExamples:
    if recipe.front_end == "none":
        return RawExamples(ds, recipe)
    print(f"encoder frames of {len(ds.items)} clips x {1 + recipe.variants} variants (cached in {cache_dir})", flush=True)
    frames = variant_frames(ds.recordings, recipe.augment, recipe.variants, FrameCache(cache_dir, pad_seconds=recipe.pad_seconds), progress)
    return FrameExamples(frames, recipe)


def finished_results(run_dir: Path) -> list[FoldResult]:
    """All folds of a run, or SystemExit naming those still to train."""
    split = json.loads((run_dir / "folds.json").read_text())
    results, missing = [], []
    for f in split["folds"]:
        p = run_dir / f"fold{f['fold']}" / "result.json"
        if p.exists():
            results.append(FoldResult.from_json(json.loads(p.read_text())))
        else:
            missing.append(f["fold"])
    if missing:
        raise SystemExit(f"{run_dir}: fold(s) {', '.join(map(str, missing))} not trained yet; run them with --fold K")
    return results


def report(ds: Dataset, results: list[FoldResult], run_dir: Path, context: dict, seed: int = 42) -> dict:
    feats = baseline.feature_matrix(ds.recordings)
    y = np.asarray(ds.targets)
    all_idx = np.arange(len(y))
    base_preds = {r.fold: baseline.fit_predict(feats, y, np.setdiff1d(all_idx, r.val_indices), r.val_indices, seed)
                  for r in results}
    m = summarise(ds, results, base_preds, context)
    write_report(ds, results, m, run_dir / "report")
    return m


def export_bundle(ds: Dataset, results: list[FoldResult], m: dict, run_dir: Path, target: Path, name: str,
                  calibrate_on: Path | None = None, only_fold: int | None = None) -> Path:
    """Assemble the fold checkpoints into a bundle; it appears at `target` whole or not at all.

    `calibrate_on`: a leave-one-voice-out run of the same data and recipe whose temperature and
    threshold the bundle takes (`calibration.from_voices_run` checks it). `only_fold`: a bundle of
    that one fold model, whose card lists only the clips it was trained on (so that `evaluate` and
    verse mode's held-out scoring know what it never heard), e.g. one voice of a leave-one-voice-out
    run."""
    heard = range(len(ds.items))
    if only_fold is not None:
        [kept] = [r for r in results if r.fold == only_fold] or [None]
        if kept is None:
            raise SystemExit(f"{run_dir}: no fold {only_fold} (it has {', '.join(str(r.fold) for r in results)})")
        results, heard = [kept], sorted(set(heard) - set(kept.val_indices))
    states = [fold_state(run_dir / f"fold{r.fold}") for r in results]
    uses_frames = m["recipe"].get("front_end", "none") != "none"
    cal = (calibration.from_voices_run(calibrate_on, ds.labels, m["fingerprint"], m["recipe"])
           if calibrate_on is not None else calibration.from_own_folds(m))
    card = bundle_mod.new_card(
        name,
        ds.labels,
        cross_validation={
            "strategy": m["strategy"],
            "recipe": m["recipe"]["name"],
            "macro_f1_mean": m["cnn_macro_f1"]["mean"],
            "macro_f1_std": m["cnn_macro_f1"]["std"],
            "macro_f1_per_fold": m["cnn_macro_f1"]["folds"],
            "voice_only_baseline_macro_f1_mean": m["voice_baseline_macro_f1"]["mean"],
            "out_of_fold_per_rule_f1": dict(zip(ds.labels, m["out_of_fold"]["per_rule_f1"])),
            "command": m["command"],
            "epoch_kept": m["recipe"]["select"],
        },
        training_data={"source": m["data"], "layout": ds.layout, "clips": len(heard),
                       "left_out": len(ds.skipped), "fingerprint_sha256": m["fingerprint"],
                       # which clips it has heard, so `evaluate` can say when it is scored on them
                       "clip_sha256_prefixes": sorted({ds.content_hashes()[i][:16] for i in heard}),
                       **({"voices": sorted({ds.items[i].group for i in heard})} if only_fold is not None else {})},
        calibration=cal["calibration"],
        uncertainty=cal["uncertainty"],
        front_end=frontend.spec(pad_seconds=m["recipe"].get("pad_seconds", frontend.PAD_SECONDS)) if uses_frames else None,
        architecture=FRAME_ARCHITECTURE if uses_frames else None,
    )
    write_training_fingerprints(ds, run_dir / "report")
    # the heads the app runs without torch, exported from the very states written beside them
    return bundle_mod.save_bundle(target, card, states, report_dir=run_dir / "report",
                                  heads_onnx=heads_onnx(card, states))
