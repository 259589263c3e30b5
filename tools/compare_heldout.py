"""A finished training run's out-of-fold verdicts on one voice's clips, beside a shipped bundle's
verdicts on the very same clips (its heads over the same cached encoder frames).

    PYTHONPATH=. python tools/compare_heldout.py RUN_DIR [--group haneef] [--model tajweed4] [--out FILE.json]

Meant for a voice no shipped bundle heard (haneef): there the bundle's verdicts are held out in
voice and, for the words reciters5 does not recite, in words too, so both columns are honest. The
run's verdicts are those of the fold model that did not train on the clip (oof.csv); in a `words`
run that model heard the voice but never the clip's words. Prints macro-F1, accuracy and per-rule
recall for: all the group's clips, and those whose words (word context) no clip of the bundle's
training data recites.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tajweed_desktop.core.model.ensemble import Ensemble, softmax  # noqa: E402
from tajweed_desktop.core.model.paths import bundled_models_dir  # noqa: E402
from trainer import cli  # noqa: E402
from trainer.features import DEFAULT_CACHE, FrameCache, inference_clip  # noqa: E402
from trainer.metrics import classification_scores  # noqa: E402


def scores(truth: list[str], pred: list[str], labels: list[str]) -> dict:
    """The trainer's own macro-F1 (trainer/metrics.py), accuracy and per-rule recall."""
    if not truth:
        return {"clips": 0}
    present = [lab for lab in labels if lab in truth]
    m = classification_scores([labels.index(p) for p in pred], [labels.index(t) for t in truth], len(labels))
    return {"clips": len(truth), "macro_f1": round(m["macro_f1"], 3), "accuracy": round(m["accuracy"], 3),
            "recall": {lab: round(float(np.mean([p == lab for t, p in zip(truth, pred) if t == lab])), 3) for lab in present}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--group", default="haneef", help="the voice whose clips are compared")
    ap.add_argument("--model", default="tajweed4")
    ap.add_argument("--feature-cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    saved = json.loads((args.run_dir / "args.json").read_text())["argv"]
    targs = cli.build_parser().parse_args(saved)
    ds = cli._load(targs, progress=False)
    index = {ds.name(it): i for i, it in enumerate(ds.items)}
    rows = [r for r in csv.DictReader(open(args.run_dir / "report" / "oof.csv", encoding="utf-8")) if r["group"] == args.group]
    if not rows:
        raise SystemExit(f"{args.run_dir}: no out-of-fold clips of {args.group!r}")
    ids = [index[r["file"]] for r in rows]
    model = Path(args.model) if Path(args.model).exists() else bundled_models_dir() / args.model
    ens = Ensemble.from_path(model, device="cpu")
    frames = FrameCache(args.feature_cache, pad_seconds=ens.pad_seconds).frames(  # padded as the bundle was trained[inference_clip(ds.recordings[i]) for i in ids])
    probs = softmax(ens.heads.logits(frames), ens.temperature).mean(axis=0)
    bundle_pred = [ens.labels[k] for k in probs.argmax(axis=1)]
    truth = [r["label"] for r in rows]
    run_pred = [r["predicted"] for r in rows]
    heard = {it.context for it in ds.items if it.group != args.group and it.context}  # words the bundle's data recites
    new = [k for k, i in enumerate(ids) if ds.items[i].context not in heard]
    labels = list(ds.labels)
    out = {
        "run": str(args.run_dir), "group": args.group, "bundle": str(model),
        "all": {"run": scores(truth, run_pred, labels), "bundle": scores(truth, bundle_pred, labels)},
        "words_not_in_the_bundles_data": {"run": scores([truth[k] for k in new], [run_pred[k] for k in new], labels),
                                          "bundle": scores([truth[k] for k in new], [bundle_pred[k] for k in new], labels)},
    }
    text = json.dumps(out, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
