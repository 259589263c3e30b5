"""`python -m trainer nested`: the calibration of what ships, measured on voices it never heard.

For each voice, the bundle's recipe is trained as the bundle is (five stratified folds, each
model on four fifths of the clips) on every *other* voice's clips, and the five models score the
held-out voice's clips. Their verdicts go through the bundle's own rule (`core.ensemble.verdict`'s
arithmetic: the mean of the fold models' softmax at the card's temperature, the confidence,
agreement and sound thresholds), so the calibration error and the share of sure verdicts that
are right are those of the five-fold mean that ships, not of single fold models.

Two settings are measured: the card's temperature and threshold as they are (fitted on the
leave-one-voice-out run, whose clips include the voice being scored, through other models), and,
for each voice, the temperature and threshold the same procedure gives without that voice (the
run's cross-fitted values): the second never chose anything on the clips it scores.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio import clips
from tajweed_desktop.core.common.atomic import atomic_write_text
from tajweed_desktop.core.model.card import CARD_NAME, DEFAULT_UNCERTAINTY, check_calibration
from tajweed_desktop.core.model.torch_device import resolve_device

from . import calibration, runfolder
from .data import Dataset
from .folds import make_folds
from .pipeline import training_examples
from .recipe import Recipe
from .train import train_fold

STRATEGY = "nested-voices"


def outer_inner_folds(ds: Dataset, k: int, seed: int) -> dict[str, tuple[list[int], list[tuple[list[int], list[int]]]]]:
    """{voice: (its clips, [(training clips of inner fold j, its validation clips)])}: the inner
    folds split the other voices' clips (less any copy of the voice's audio) as the bundle's split
    does."""
    groups, same = np.asarray(ds.groups), np.asarray(ds.shared_audio())
    targets = np.asarray(ds.targets)
    out = {}
    for v in sorted(set(ds.groups), key=lambda g: (-ds.groups.count(g), g)):  # the most clips first
        mine = np.flatnonzero(groups == v)
        others = np.flatnonzero((groups != v) & ~np.isin(same, same[mine]))
        inner = make_folds(targets[others].tolist(), groups[others].tolist(), k, "stratified", seed, None,
                           same[others].tolist())
        out[v] = (mine.tolist(), [([int(others[i]) for i in tr], [int(others[i]) for i in va]) for tr, va in inner])
    return out


def shipped_settings(card_dir: Path | None, voices_cal: dict) -> dict:
    """The temperature and uncertainty thresholds measured: the card's when a bundle is given,
    else what `--calibrate-on` gives a bundle."""
    if card_dir is not None:
        card = json.loads((card_dir / CARD_NAME).read_text())
        return {"calibration": {"temperature": card["calibration"]["temperature"]},
                "uncertainty": {**DEFAULT_UNCERTAINTY, **card.get("uncertainty", {})}}
    return {"calibration": voices_cal["calibration"], "uncertainty": {**DEFAULT_UNCERTAINTY, **voices_cal["uncertainty"]}}


def run_nested(ds: Dataset, recipe: Recipe, run_dir: Path, voices_run: Path, k: int = 5, seed: int = 42,
               device: str = "auto", progress: bool = True, cache_dir: Path | None = None, fresh: bool = False,
               card_dir: Path | None = None, command: str = "") -> dict:
    fingerprint = ds.fingerprint()
    voices_cal = calibration.from_voices_run(voices_run, ds.labels, fingerprint, recipe.to_dict())
    cross_fitted = calibration.read_report(voices_run)["calibration"]["per_unit"]
    shipped = shipped_settings(card_dir, voices_cal)
    runfolder.start(run_dir, runfolder.run_record(recipe.to_dict(), fingerprint, STRATEGY, k, seed), fresh)
    dev, note = resolve_device(device)
    if note:
        print(note, flush=True)
    examples = training_examples(ds, recipe, *([cache_dir] if cache_dir else []), progress=progress)
    n, n_labels = len(ds.items), len(ds.labels)
    fold_logits = np.full((k, n, n_labels), np.nan)
    for v, (mine, inner) in outer_inner_folds(ds, k, seed).items():
        print(f"voice {v}: {len(mine)} clips scored by {len(inner)} models trained on the other voices", flush=True)
        for j, (tr, _) in enumerate(inner, start=1):
            r = train_fold(ds, j, tr, mine, recipe, run_dir / f"voice-{v}" / f"fold{j}", seed, dev, progress, examples)
            fold_logits[j - 1, mine] = r.val_logits
    if len({len(inner) for _, inner in outer_inner_folds(ds, k, seed).values()}) != 1 or np.isnan(fold_logits).any():
        raise SystemExit(f"{run_dir}: not every voice got {k} inner fold models")
    active = np.array([rec.active_seconds(*clips.model_clip(rec)[1:]) for rec in ds.recordings])
    record = calibration.shipped_measurement(
        fold_logits, np.asarray(ds.targets), list(ds.groups), active, shipped, cross_fitted, str(run_dir), command,
        fingerprint, recipe.to_dict())
    out = run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "fold_logits.npy", fold_logits)
    atomic_write_text(out / "nested.json", json.dumps(record, indent=2))
    atomic_write_text(out / "nested.md", markdown(record))
    if card_dir is not None:
        write_to_card(card_dir, record, voices_cal)
    return record


def write_to_card(card_dir: Path, record: dict, voices_cal: dict) -> None:
    """Add the measurement (and, where the card's temperature is the voices run's, what it was
    fitted on) to the card's `calibration` record; every other field is left as it is."""
    path = card_dir / CARD_NAME
    card = json.loads(path.read_text(encoding="utf-8"))
    cal = dict(card["calibration"])
    cal["measured"] = record
    if abs(voices_cal["calibration"]["temperature"] - cal["temperature"]) < 1e-3:
        cal["fitted"] = voices_cal["calibration"]["fitted"]
    card["calibration"] = cal
    check_calibration(cal)  # never write a calibration the app would refuse (CardError names the field)
    atomic_write_text(path, json.dumps(card, indent=2, ensure_ascii=False) + "\n")


def _line(name: str, m: dict) -> str:
    acc = "n/a" if m["accuracy_when_sure"] is None else f"{m['accuracy_when_sure']:.3f}"
    return (f"| {name} | {m['ece']:.3f} | {m['accuracy']:.3f} | {acc} | {m['sure']} | {m['share_uncertain']:.0%} |")


def markdown(r: dict) -> str:
    lines = [f"# The calibration of what ships, on voices it never heard ({r['recipe']})", "", r["method"] + ".", "",
             f"Command: `{r['command']}`", "",
             f"{r['clips']} clips of {len(r['voices'])} voices, {r['folds_per_voice']} fold models per voice; "
             f"ECE over {r['ece_bins']} bins of the ensemble's top probability.", "",
             "| setting | ECE | accuracy | right among sure verdicts | sure | uncertain |", "|---|---|---|---|---|---|",
             _line(f"card: T {r['temperature']:.2f}, threshold {r['min_confidence']:.2f}, "
                   f"{r['min_agreement']:.0%} of folds agreeing", r["at_shipped"]),
             _line("per voice, temperature and threshold fitted without it", r["cross_fitted"]), "",
             "| voice | clips | ECE (card) | right among sure (card) | ECE (fitted without it) | right among sure (fitted without it) |",
             "|---|---|---|---|---|---|"]
    for v in r["voices"]:
        a, b = r["at_shipped"]["per_voice"][v], r["cross_fitted"]["per_voice"][v]
        fa = "n/a" if a["accuracy_when_sure"] is None else f"{a['accuracy_when_sure']:.3f} of {a['sure']}"
        fb = "n/a" if b["accuracy_when_sure"] is None else f"{b['accuracy_when_sure']:.3f} of {b['sure']}"
        lines.append(f"| {v} | {a['clips']} | {a['ece']:.3f} | {fa} | {b['ece']:.3f} | {fb} |")
    return "\n".join(lines) + "\n"
