"""tools/compare_verdicts.py counts what changed between two checker outputs."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("compare_verdicts", REPO / "tools" / "compare_verdicts.py")
cv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cv)


def verdict(f: str, top: str, p: float, uncertain: bool = False) -> dict:
    other = "Izhar" if top == "Ikhfa" else "Ikhfa"
    return {"file": f, "error": None, "top_rule": top, "confidence": p, "uncertain": uncertain,
            "probabilities": {top: p, other: 1 - p}}


def test_changes_are_counted_and_named():
    old = [verdict("a", "Ikhfa", 0.9), verdict("b", "Ikhfa", 0.55), verdict("c", "Izhar", 0.7),
           {"file": "d", "error": "no recitation heard"}]
    new = [verdict("a", "Ikhfa", 0.9), verdict("b", "Izhar", 0.52, uncertain=True), verdict("c", "Izhar", 0.69),
           {"file": "d", "error": "no recitation heard"}]
    r = cv.compare(old, new)
    assert (r["files"], r["refused"], r["judged"], r["same_top"]) == (4, 1, 3, 2)
    assert [x.split(":")[0] for x in r["top_changed"]] == ["b"] and [x.split(":")[0] for x in r["uncertain_flips"]] == ["b"]
    assert abs(max(r["dp"]) - 0.07) < 1e-9  # b: Ikhfa 0.55 -> 0.48
    assert r["refusals_differ"] == []
