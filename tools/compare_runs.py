"""Finished training runs' out-of-fold verdicts, compared on the clips they all scored.

    PYTHONPATH=. python tools/compare_runs.py RUN_DIR [RUN_DIR ...] [--out FILE.json]

Runs with different data (one with haneef, one without) are compared only on the clips every run
scored, so each column is the same test. Per voice (group): macro-F1 over the rules that voice's
clips hold (as the training report's per-reciter table), then the mean and standard deviation over
voices, each rule's recall, and the accuracy over all shared clips. In `voices` runs every verdict
comes from a model that never heard the voice.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainer.metrics import classification_scores  # noqa: E402


def read_oof(run_dir: Path) -> dict[str, dict]:
    path = run_dir / "report" / "oof.csv"
    if not path.is_file():
        raise SystemExit(f"{run_dir}: no report/oof.csv (is the run finished?)")
    return {r["file"]: r for r in csv.DictReader(open(path, encoding="utf-8"))}


def macro_f1(truth: list[str], pred: list[str]) -> float:
    """Macro-F1 over the rules present in truth (a rule a voice never recites does not count)."""
    labels = sorted(set(truth) | set(pred))
    present = sorted(set(truth))
    m = classification_scores([labels.index(p) for p in pred], [labels.index(t) for t in truth], len(labels))
    return float(np.mean([m["per_rule_f1"][labels.index(lab)] for lab in present]))


def summarise(rows: list[dict]) -> dict:
    groups = sorted({r["group"] for r in rows})
    per_group = {}
    for g in groups:
        rr = [r for r in rows if r["group"] == g]
        per_group[g] = macro_f1([r["label"] for r in rr], [r["predicted"] for r in rr])
    rules = sorted({r["label"] for r in rows})
    recall = {lab: [sum(r["predicted"] == lab for r in rows if r["label"] == lab), sum(r["label"] == lab for r in rows)]
              for lab in rules}
    values = list(per_group.values())
    return {"clips": len(rows), "voices": len(groups), "mean": round(float(np.mean(values)), 3),
            "sd": round(float(np.std(values)), 3), "per_voice": {g: round(v, 3) for g, v in per_group.items()}, "recall": recall,
            "accuracy": round(float(np.mean([r["label"] == r["predicted"] for r in rows])), 3)}


def compare(runs: dict[str, dict[str, dict]]) -> dict:
    shared = set.intersection(*(set(oof) for oof in runs.values()))
    if not shared:
        raise SystemExit("the runs scored no clip in common")
    first = next(iter(runs.values()))
    for name, oof in runs.items():
        for f in shared:
            if oof[f]["label"] != first[f]["label"]:
                raise SystemExit(f"{f}: labelled {first[f]['label']} in one run and {oof[f]['label']} in {name}")
    return {name: summarise([oof[f] for f in sorted(shared)]) for name, oof in runs.items()}


def table(result: dict) -> str:
    names = list(result)
    voices = sorted(next(iter(result.values()))["per_voice"])
    rules = sorted(next(iter(result.values()))["recall"])
    lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines.append("| mean ± sd over voices | " + " | ".join(f"{r['mean']:.3f} ± {r['sd']:.3f}" for r in result.values()) + " |")
    for v in voices:
        lines.append(f"| {v} | " + " | ".join(f"{r['per_voice'][v]:.3f}" for r in result.values()) + " |")
    for lab in rules:
        lines.append(f"| {lab} recall | " + " | ".join(f"{r['recall'][lab][0]}/{r['recall'][lab][1]}" for r in result.values()) + " |")
    lines.append("| accuracy | " + " | ".join(f"{r['accuracy']:.3f}" for r in result.values()) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--out", type=Path, help="also write the result as JSON")
    args = ap.parse_args()
    result = compare({str(r): read_oof(r) for r in args.runs})
    print(f"{next(iter(result.values()))['clips']} clips scored by every run\n")
    print(table(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
