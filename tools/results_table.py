"""Print the README's results table from the runs' metrics: `python tools/results_table.py RUN_DIR...`."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def row(run: Path) -> str:
    m = json.loads((run / "report" / "metrics.json").read_text())
    c, b = m["cnn_macro_f1"], m["voice_baseline_macro_f1"]
    return (f"| `{run.name}` | {m['strategy']} | {m['recipe']['name']}, {m['recipe']['epochs']} epochs | "
            f"{c['mean']:.3f} ± {c['std']:.3f} | {b['mean']:.3f} ± {b['std']:.3f} | "
            f"{m['out_of_fold']['accuracy']:.3f} | {m['calibration']['temperature']:.2f} |")


def main() -> None:
    print("| run | split | recipe | CNN macro-F1 | voice-only macro-F1 | CNN accuracy | temperature |")
    print("|---|---|---|---|---|---|---|")
    for arg in sys.argv[1:]:
        if (Path(arg) / "report" / "metrics.json").exists():
            print(row(Path(arg)))


if __name__ == "__main__":
    main()
