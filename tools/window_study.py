"""Issue 24's window study: which front-end padding keeps today's accuracy.

`python tools/window_study.py RUN_DIR... [--today 8] [--json OUT]`: each run's padding, split and
seed are read from its metrics.json (a run folder, or its copy under reports/window/, so seeds run
in earlier sessions still count). Per padding and split: the mean over seeds
of the run's macro-F1 (the mean over its folds) and the spread. A padding passes when its mean is
no lower than today's mean less one standard deviation of today's, on every split; today's
standard deviation is over its seeds when there are two or more, else over its folds (said in the
output). The winner is the shortest passing padding: the encoder's time grows with its input.
Runs of different data (fingerprints) are refused: they would not compare.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def read_run(run_dir: Path) -> dict:
    """A run folder (its report/metrics.json) or its copy under reports/ (metrics.json): the
    metrics record names the recipe (with its padding), the split, the seed and the data."""
    path = next(p for p in (run_dir / "report" / "metrics.json", run_dir / "metrics.json") if p.is_file())
    metrics = json.loads(path.read_text())
    return {"run": str(run_dir), "pad": float(metrics["recipe"].get("pad_seconds", 8.0)),
            "split": metrics["strategy"], "seed": metrics["seed"],
            "fingerprint": metrics["fingerprint"], "macro_f1": metrics["cnn_macro_f1"]["mean"],
            "fold_std": metrics["cnn_macro_f1"]["std"], "accuracy": metrics["out_of_fold"]["accuracy"],
            "voice_only": metrics["voice_baseline_macro_f1"]["mean"]}


def has_metrics(run_dir: Path) -> bool:
    return (run_dir / "report" / "metrics.json").is_file() or (run_dir / "metrics.json").is_file()


def summarise(runs: list[dict], today: float, across_data: bool = False) -> dict:
    """`across_data`: seeds may have been trained on different data (the same sources cut again),
    as long as every padding of one seed and split saw the same data: the paddings stay paired."""
    if len({r["fingerprint"] for r in runs}) > 1:
        if not across_data:
            raise SystemExit("the runs were trained on different data (fingerprints differ); they do not compare "
                             "(--across-data: allowed when each seed's paddings share their data)")
        by_seed: dict[tuple, set] = defaultdict(set)
        for r in runs:
            by_seed[(r["seed"], r["split"])].add(r["fingerprint"])
        unpaired = sorted(k for k, v in by_seed.items() if len(v) > 1)
        if unpaired:
            raise SystemExit(f"seed and split {unpaired}: the paddings were trained on different data; they do not compare")
    cells: dict[tuple[float, str], list[dict]] = defaultdict(list)
    for r in runs:
        cells[(r["pad"], r["split"])].append(r)
    splits = sorted({s for _, s in cells})
    table = []
    for (pad, split), rs in sorted(cells.items()):
        f1 = [r["macro_f1"] for r in rs]
        table.append({"pad_seconds": pad, "split": split, "seeds": sorted(r["seed"] for r in rs),
                      "macro_f1_mean": statistics.mean(f1), "macro_f1_seed_std": statistics.stdev(f1) if len(f1) > 1 else None,
                      "macro_f1_each": f1, "fold_std_mean": statistics.mean(r["fold_std"] for r in rs),
                      "accuracy_mean": statistics.mean(r["accuracy"] for r in rs),
                      "voice_only_mean": statistics.mean(r["voice_only"] for r in rs)})
    by = {(t["pad_seconds"], t["split"]): t for t in table}
    if any((today, s) not in by for s in splits):
        raise SystemExit(f"today's padding ({today:g} s) needs a run on every split ({', '.join(splits)})")
    verdicts = {}
    for pad in sorted({p for p, _ in cells}):
        checks = {}
        for split in splits:
            base, cell = by[(today, split)], by.get((pad, split))
            std = base["macro_f1_seed_std"] if base["macro_f1_seed_std"] is not None else base["fold_std_mean"]
            kind = "seeds" if base["macro_f1_seed_std"] is not None else "folds"
            checks[split] = None if cell is None else {
                "mean": cell["macro_f1_mean"], "today": base["macro_f1_mean"], "today_std": std, "std_over": kind,
                "passes": cell["macro_f1_mean"] >= base["macro_f1_mean"] - std}
        verdicts[pad] = {"splits": checks, "passes": all(c is not None and c["passes"] for c in checks.values())}
    passing = [p for p, v in verdicts.items() if v["passes"]]
    return {"today_pad_seconds": today, "data": sorted({(r["seed"], r["split"], r["fingerprint"][:12]) for r in runs}), "table": table, "verdicts": verdicts, "winner_pad_seconds": min(passing) if passing else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--today", type=float, default=8.0, help="today's padding in seconds (the baseline)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--across-data", action="store_true",
                    help="seeds trained on different data may be pooled, each seed's paddings on the same data")
    args = ap.parse_args(argv)
    runs = [read_run(r) for r in args.runs if has_metrics(r)]
    out = summarise(runs, args.today, args.across_data)
    print("| padding | split | seeds | macro-F1 (mean over seeds; each) | spread over seeds | over folds | accuracy | voice-only |")
    print("|---|---|---|---|---|---|---|---|")
    for t in out["table"]:
        seed_std = "" if t["macro_f1_seed_std"] is None else f"{t['macro_f1_seed_std']:.3f}"
        print(f"| {t['pad_seconds']:g} s | {t['split']} | {len(t['seeds'])} | {t['macro_f1_mean']:.3f} "
              f"({', '.join(f'{v:.3f}' for v in t['macro_f1_each'])}) | {seed_std} | {t['fold_std_mean']:.3f} "
              f"| {t['accuracy_mean']:.3f} | {t['voice_only_mean']:.3f} |")
    for pad, v in out["verdicts"].items():
        parts = [f"{s}: {c['mean']:.3f} against {c['today']:.3f} - {c['today_std']:.3f} (sd over {c['std_over']})"
                 if c else f"{s}: not run" for s, c in v["splits"].items()]
        print(f"{pad:g} s: {'passes' if v['passes'] else 'fails'} ({'; '.join(parts)})")
    if len({f for _, _, f in out["data"]}) > 1:
        print("data per seed and split: " + "; ".join(f"seed {s} {sp} {f}" for s, sp, f in out["data"]))
    print(f"winner: {out['winner_pad_seconds']:g} s" if out["winner_pad_seconds"] is not None else "winner: none")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
