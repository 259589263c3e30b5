"""Compare two `tajweed-check --json` outputs of the same files (two versions of the code, or two
bundles): how many verdicts kept their top rule, how far the probabilities moved, which
verdicts changed their "uncertain" flag, and whether the same files were refused.

    python tools/compare_verdicts.py OLD.json NEW.json
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def compare(old: list[dict], new: list[dict]) -> dict:
    a, b = {r["file"]: r for r in old}, {r["file"]: r for r in new}
    if a.keys() != b.keys():
        raise SystemExit(f"the two outputs cover different files ({len(a.keys() ^ b.keys())} differ)")
    out = {"files": len(a), "refused": 0, "refusals_differ": [], "judged": 0, "same_top": 0,
           "top_changed": [], "uncertain_flips": [], "dp": []}
    for f in sorted(a):
        x, y = a[f], b[f]
        if x.get("error") or y.get("error"):
            out["refused"] += bool(x.get("error"))
            if x.get("error") != y.get("error"):
                out["refusals_differ"].append(f)
            continue
        out["judged"] += 1
        if x["top_rule"] == y["top_rule"]:
            out["same_top"] += 1
        else:
            out["top_changed"].append(f"{f}: {x['top_rule']} {x['confidence']:.2f} -> {y['top_rule']} {y['confidence']:.2f}")
        if x["uncertain"] != y["uncertain"]:
            out["uncertain_flips"].append(f"{f}: {x['uncertain']} -> {y['uncertain']} ({x['confidence']:.4f} -> {y['confidence']:.4f})")
        out["dp"] += [abs(x["probabilities"][k] - y["probabilities"][k]) for k in x["probabilities"]]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    old, new = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv)
    r = compare(old, new)
    dp = r["dp"] or [0.0]
    print(f"{r['files']} files, {r['refused']} refused in the first ({len(r['refusals_differ'])} refused differently); "
          f"top rule the same for {r['same_top']} of {r['judged']}; |dp| max {max(dp):.2e}, median "
          f"{statistics.median(dp):.2e}; uncertain flag changed for {len(r['uncertain_flips'])}")
    for line in r["top_changed"] + r["uncertain_flips"] + r["refusals_differ"]:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
