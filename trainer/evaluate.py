"""`python -m trainer evaluate` and `export-onnx`: a bundle scored on any labelled folder, with a
warning when the folder holds clips the bundle was trained on (byte-identical, or the same audio
in another encoding)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from . import data as data_mod
from . import duplicates

TRAINING_CLIPS = "training_clips.json"  # in a run's report/ (and so in a bundle's): the clips' fingerprints


def write_training_fingerprints(ds: data_mod.Dataset, report_dir: Path) -> None:
    """The fingerprints of the clips a bundle is trained on, beside its report, so `evaluate` can
    find them again in another encoding."""
    from tajweed_desktop.core.common.atomic import atomic_write_text

    report_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(report_dir / TRAINING_CLIPS, json.dumps(
        {"fingerprint": "trainer/duplicates.py", "clips": [duplicates.packed(f) for f in ds.audio_fingerprints()]}))


def training_overlap(training_data: dict, ds: data_mod.Dataset, bundle_dir: Path | None = None) -> int:
    """How many of these clips the bundle was trained on: by content (the card's clip hashes),
    by fingerprint (the bundle's report/training_clips.json, where it has one), or, for older
    cards, the whole data set's fingerprint."""
    td = training_data  # the card's training_data section
    known = set(td.get("clip_sha256_prefixes", []))
    seen = np.zeros(len(ds.items), dtype=bool)
    if known:
        width = len(next(iter(known)))
        seen |= np.array([h[:width] in known for h in ds.content_hashes()])
    elif td.get("fingerprint_sha256") == ds.fingerprint():
        seen[:] = True
    path = None if bundle_dir is None else Path(bundle_dir) / "report" / TRAINING_CLIPS
    if path is not None and path.is_file():
        trained = [duplicates.unpacked(s) for s in json.loads(path.read_text())["clips"]]
        mine = ds.audio_fingerprints()
        groups = duplicates.same_audio_groups(trained + mine)
        trained_groups = set(groups[: len(trained)])
        seen |= np.array([g in trained_groups for g in groups[len(trained):]])
    return int(seen.sum())


def cmd_evaluate(args, load) -> int:
    from tajweed_desktop.core.model.ensemble import Ensemble

    from .metrics import classification_scores

    ens = Ensemble.from_path(args.model, device=args.device)
    ds = load(args)
    unknown = sorted(set(ds.labels) - set(ens.labels))
    if unknown:
        raise SystemExit(f"{args.model}: the bundle does not know the rule(s) {', '.join(unknown)}")
    seen = training_overlap(ens.bundle.card.training_data, ds, args.model)
    if seen:
        print(f"warning: {seen} of {len(ds.items)} clips were in this bundle's own training data: "
              "these scores say how well it fits them, not how it does on new recordings", file=sys.stderr, flush=True)
    y = np.array([ens.labels.index(it.label) for it in ds.items])
    analyses = ens.analyse_many(ds.recordings)
    preds = np.array([a.clip.top_index for a in analyses])
    sure = np.array([not a.clip.uncertain for a in analyses])
    m = classification_scores(preds, y, len(ens.labels))
    m["labels"] = list(ens.labels)
    m["clips_in_training_data"] = seen
    m["sure"] = int(sure.sum())
    m["accuracy_when_sure"] = float((preds == y)[sure].mean()) if sure.any() else None
    m["share_uncertain"] = float(1 - sure.mean())
    if args.json:
        print(json.dumps(m, indent=2))
    else:
        when_sure = "n/a" if m["accuracy_when_sure"] is None else f"{m['accuracy_when_sure']:.3f}"
        print(f"macro-F1 {m['macro_f1']:.3f}, accuracy {m['accuracy']:.3f} on {len(y)} clips; "
              f"not marked uncertain: {m['sure']} ({when_sure} right), uncertain: {m['share_uncertain']:.0%}")
        for lab, f in zip(ens.labels, m["per_rule_f1"]):
            print(f"  {lab:24s} F1 {f:.3f}")
    return 0


def cmd_export_onnx(args) -> int:
    from tajweed_desktop.core.model.onnx_export import export_bundle_heads

    for path in args.bundles:
        b = export_bundle_heads(path)
        print(f"{path}: {b.onnx_path.name} written, sha256 {b.card.heads_onnx.sha256[:16]}…")
    return 0
