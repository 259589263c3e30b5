"""tools/identify_eval.py's scoring: top-1 is the verse alone, "same text" also an identical verse."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("identify_eval", REPO / "tools" / "identify_eval.py")
ie = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ie)

BEFORE, NOW = ie.WAYS


def test_top1_same_text_and_top5_are_counted_as_the_docstring_says():
    rows = [
        {"truth": [109, 5, 5], BEFORE: [[109, 3, 3], [109, 5, 5]], NOW: [[109, 5, 5]]},  # identical texts
        {"truth": [112, 3, 3], BEFORE: [[55, 4, 4]], NOW: [[112, 2, 3], [112, 3, 3]]},  # a run first: not top-1
        {"truth": [1, 5, 5], BEFORE: [], NOW: [[1, 5, 5]]},  # refused before
        {"truth": [82, 1, 1], BEFORE: [[82, 1, 1]], NOW: [[82, 2, 2]]},
    ]
    s = ie.summary(rows)
    assert s["verses"] == 4
    assert s[BEFORE] == {"top1": 0.25, "top1_same_text": 0.5, "top5": 0.5}
    assert s[NOW] == {"top1": 0.5, "top1_same_text": 0.5, "top5": 0.75}
