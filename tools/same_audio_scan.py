"""The same audio across the data sets: `python tools/same_audio_scan.py [DATA...]` (default the
four folders of ../shared/data) prints the clips left out for carrying two labels, how many tajweed4 clips were matched with the rules14 file
their `source` column names and the worst bit error among them, and the lowest bit error
between two different recordings among the pairs compared."""

from __future__ import annotations

import collections
import csv
import sys
from pathlib import Path

from trainer.data import load_dataset
from trainer.duplicates import MAX_BIT_ERRORS, bit_error_rate, same_audio_groups

NAMES = ("tajweed4", "reciters5", "rules14", "kaggle_samples")


def main() -> None:
    roots = [Path(a) for a in sys.argv[1:]] or [Path("../shared/data") / n for n in NAMES]
    parts = [load_dataset(r, show_progress=False) for r in roots]
    items = [(p.root.name, it) for p in parts for it in p.items]
    fps = [f for p in parts for f in p.audio_fingerprints()]
    hashes = [h for p in parts for h in p.content_hashes()]
    groups = same_audio_groups(fps, hashes)
    members = collections.defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    name = {i: f"{items[i][0]}/{items[i][1].path.relative_to(items[i][1].root)} ({items[i][1].label})" for i in range(len(items))}
    print(f"{len(items)} clips (as the loaders keep them), {sum(len(v) > 1 for v in members.values())} groups of the same audio")
    for p in parts:
        for path, reason in p.skipped:
            if "every copy left out" in reason:
                print("  left out:", reason)
    where = {f"{items[i][0]}/{items[i][1].path.relative_to(items[i][1].root)}": i for i in range(len(items))}
    matched, worst, missed = 0, 0.0, []
    t4 = next((r for r in roots if r.name == "tajweed4"), None)
    if t4 is not None and (t4.parent / "rules14").is_dir():
        for row in csv.DictReader(open(t4 / "train.csv", encoding="utf-8-sig")):
            if "data_latih/tajweed/" not in row.get("source", ""):
                continue
            a, b = where.get(f"tajweed4/train/{row['id']}.wav"), where.get("rules14/" + row["source"].split("data_latih/tajweed/")[1])
            if a is None or b is None:
                continue
            e = bit_error_rate(fps[a], fps[b])
            if groups[a] == groups[b]:
                matched, worst = matched + 1, max(worst, e)
            else:
                missed.append(f"{name[a]} ~ {name[b]}: {e:.2f}")
        print(f"tajweed4 clips matched with their rules14 originals: {matched} (worst {worst:.2f}); "
              f"not matched (limit {MAX_BIT_ERRORS}): {'; '.join(missed) or 'none'}")
    labels = [items[i][1].label.lower() for i in range(len(items))]
    lowest = min((bit_error_rate(fps[i], fps[j]), i, j) for i in range(len(items)) for j in range(i + 1, min(len(items), i + 40))
                 if groups[i] != groups[j] and labels[i] == labels[j])
    print(f"lowest bit error between different recordings of one rule, neighbours in listing order: {lowest[0]:.2f} "
          f"({name[lowest[1]]} ~ {name[lowest[2]]})")


if __name__ == "__main__":
    main()
