"""Correct the epoch-kept field of reports written before `select` existed as a choice: those
reports say `"select": "best"` (the old default), but that version of the pipeline forced the
last epoch on holdout splits and kept the best epoch *on the scored fold* on the others.

Each report's own folds are the evidence: a holdout report whose every fold kept the last epoch
becomes `"select": "last"`; any other `"best"` becomes `"best_on_scored_fold"` (flattered). A
`select_corrected` note says what it said before. Reports are changed only when the evidence
agrees; `python tools/correct_old_reports.py PATH/metrics.json...` prints what it did.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def corrected(m: dict) -> dict | None:
    recipe = m["recipe"]
    if recipe.get("select") != "best":
        return None
    kept = [f.get("selected_epoch", f.get("epoch_kept")) for f in m["folds"]]
    if m["strategy"].startswith("holdout:"):
        if any(k != recipe["epochs"] for k in kept):
            raise SystemExit(f"a holdout report whose folds kept epochs {kept} of {recipe['epochs']}: not the forced last")
        new = "last"
    else:
        new = "best_on_scored_fold"
    return {**m, "recipe": {**recipe, "select": new},
            "select_corrected": f"this report said select 'best' (the old default); the pipeline that wrote it kept "
                                f"{'the last epoch on holdout splits' if new == 'last' else 'the best epoch on the scored fold'}"
                                f" (epochs kept: {kept})"}


def main() -> None:
    for arg in sys.argv[1:]:
        path = Path(arg)
        m = corrected(json.loads(path.read_text()))
        if m is not None:
            path.write_text(json.dumps(m, indent=2) + "\n")
            print(f"{path}: select best -> {m['recipe']['select']}")


if __name__ == "__main__":
    main()
