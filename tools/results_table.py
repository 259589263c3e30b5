"""Print the README's results tables from the runs' metrics: `python tools/results_table.py RUN_DIR...`.

The first table has a row per run; then, for each run that held voices out (`--split voices`), a
table with a row per voice, the voice-only baseline beside each.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _num(x: float | None, fmt: str = ".3f") -> str:
    return "n/a" if x is None else format(x, fmt)


def held_out(m: dict) -> dict | None:
    """The sure verdicts with thresholds fitted on the other voices or folds: in the calibration
    record (this version) or, in older reports, their `held_out_threshold`."""
    cal = m["calibration"]
    return cal if "per_unit" in cal else m.get("held_out_threshold")


KEPT = {"last": "last", "inner": "best on an inner split of the training clips",
        "best_on_scored_fold": "best on the scored fold (flattered)"}


def row(run: Path, m: dict) -> str:
    c, b = m["cnn_macro_f1"], m["voice_baseline_macro_f1"]
    cal = m["calibration"]
    held = held_out(m)
    sure = (f"{_num(held['accuracy_when_sure'])} ({held['share_uncertain']:.0%})" if held else "not measured")
    ece = f"{cal['ece_before']:.3f} → {cal['ece_after']:.3f}"
    if "units" not in cal and "ece_after_measured_on" not in cal:
        ece += " (fitted and measured on the same clips)"
    recipe = m["recipe"]
    kept = KEPT[recipe["select"]]  # tools/correct_old_reports.py made old reports say what they kept
    return (f"| `{run.name}` | {m['strategy']} | {recipe['name']}, {recipe['epochs']} epochs, epoch kept: {kept} | "
            f"{c['mean']:.3f} ± {c['std']:.3f} | {b['mean']:.3f} ± {b['std']:.3f} | "
            f"{m['out_of_fold']['accuracy']:.3f} | {ece} | {sure} |")


def voice_rows(m: dict) -> list[str]:
    lines = []
    per_unit = (held_out(m) or {}).get("per_unit", {})
    for g, r in m["per_reciter"].items():
        u = per_unit.get(g, {})
        sure = f"{_num(u.get('accuracy_when_sure'))} of {u.get('sure', 0)}" if u else "n/a"
        lines.append(f"| {g} | {r['clips']} | {', '.join(r['rules'])} | {r['macro_f1']:.3f} | {r['accuracy']:.3f} | "
                     f"{r['voice_baseline_macro_f1']:.3f} | {sure} |")
    mean = sum(r["macro_f1"] for r in m["per_reciter"].values()) / len(m["per_reciter"])
    lines.append(f"| **mean over voices** | | | **{mean:.3f}** | | | |")
    return lines


def nested_table(run: Path, r: dict) -> list[str]:
    """The calibration of what ships (`python -m trainer nested`), both settings."""
    out = [f"\nThe shipped ensemble on voices it never heard (`{run.name}`, {r['clips']} clips, {len(r['voices'])} voices, "
           f"{r['folds_per_voice']} fold models per voice):\n",
           "| temperature and threshold | ECE | accuracy | right among sure verdicts | share uncertain |",
           "|---|---|---|---|---|"]
    for name, m in ((f"the card's (T {r['temperature']:.2f}, {r['min_confidence']:.2f}, "
                     f"{r['min_agreement']:.0%} of folds agreeing)", r["at_shipped"]),
                    ("fitted without the voice scored", r["cross_fitted"])):
        out.append(f"| {name} | {m['ece']:.3f} | {m['accuracy']:.3f} | {_num(m['accuracy_when_sure'])} | "
                   f"{m['share_uncertain']:.0%} |")
    return out


def metrics_path(run: Path) -> Path | None:
    """A run folder's report/metrics.json, or a copied report's metrics.json (reports/<run>/)."""
    for p in (run / "report" / "metrics.json", run / "metrics.json"):
        if p.is_file():
            return p
    return None


def main() -> None:
    runs = [(Path(a), json.loads(metrics_path(Path(a)).read_text())) for a in sys.argv[1:] if metrics_path(Path(a))]
    print("| run | split | recipe | CNN macro-F1 (mean over folds) | voice-only macro-F1 | CNN accuracy | "
          "ECE before → after temperature | right among sure verdicts (share uncertain) |")
    print("|---|---|---|---|---|---|---|---|")
    for run, m in runs:
        print(row(run, m))
    for arg in sys.argv[1:]:
        nested = Path(arg) / "report" / "nested.json"
        if not nested.is_file():
            nested = Path(arg) / "nested.json"
        if nested.is_file():
            print("\n".join(nested_table(Path(arg), json.loads(nested.read_text()))))
    for run, m in runs:
        if m["strategy"] == "voices":
            print(f"\nEach voice held out in turn (`{run.name}`): macro-F1 over the rules that voice's clips hold.\n")
            print("| voice held out | clips | rules | CNN macro-F1 | CNN accuracy | voice-only macro-F1 | "
                  "right among sure verdicts |")
            print("|---|---|---|---|---|---|---|")
            print("\n".join(voice_rows(m)))


if __name__ == "__main__":
    main()
