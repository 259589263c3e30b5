"""Mean and spread over seeds of held-out runs: `python tools/seed_table.py RUN_DIR...`.

Run directories are named `<recipe>-s<seed>`; rows group them by recipe. With only 20 held-out
clips one clip moves accuracy by 0.05, so a single seed says little; several seeds say more.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def main() -> None:
    groups: dict[str, list[dict]] = defaultdict(list)
    for arg in sys.argv[1:]:
        metrics = Path(arg) / "report" / "metrics.json"
        if metrics.exists():
            groups[Path(arg).name.rsplit("-s", 1)[0]].append(json.loads(metrics.read_text()))
    print("| recipe | seeds | CNN macro-F1 (mean ± std, each) | voice-only macro-F1 | CNN accuracy |")
    print("|---|---|---|---|---|")
    for recipe, runs in sorted(groups.items()):
        f1 = [r["cnn_macro_f1"]["mean"] for r in runs]
        acc = [r["out_of_fold"]["accuracy"] for r in runs]
        base = [r["voice_baseline_macro_f1"]["mean"] for r in runs]
        sd = statistics.stdev(f1) if len(f1) > 1 else 0.0
        print(f"| {recipe} | {len(runs)} | {statistics.mean(f1):.3f} ± {sd:.3f} ({', '.join(f'{v:.2f}' for v in f1)}) "
              f"| {statistics.mean(base):.3f} | {statistics.mean(acc):.3f} |")


if __name__ == "__main__":
    main()
