"""tools/compare_runs.py compares runs on the clips they all scored, per voice."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("compare_runs", REPO / "tools" / "compare_runs.py")
cr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cr)


def row(f: str, label: str, group: str, pred: str) -> dict:
    return {"file": f, "label": label, "group": group, "predicted": pred}


def oof(*rows: dict) -> dict:
    return {r["file"]: r for r in rows}


def test_only_shared_clips_count_and_each_voice_scores_its_own_rules():
    a = oof(row("1", "Ikhfa", "v1", "Ikhfa"), row("2", "Izhar", "v1", "Ikhfa"), row("3", "Iqlab", "v2", "Iqlab"),
            row("4", "Izhar", "v2", "Izhar"))
    b = oof(*a.values(), row("5", "Iqlab", "v3", "Izhar"))  # clip 5 only in b: left out of both columns
    r = cr.compare({"a": a, "b": b})
    assert r["a"] == r["b"] and r["a"]["clips"] == 4 and r["a"]["voices"] == 2
    # v1: Ikhfa F1 2/3, Izhar F1 0 -> 1/3 (Iqlab, never recited by v1, does not count); v2: 1.0
    assert r["a"]["per_voice"] == {"v1": 0.333, "v2": 1.0}
    assert r["a"]["mean"] == pytest.approx(0.667, abs=1e-3)
    assert r["a"]["recall"] == {"Ikhfa": [1, 1], "Iqlab": [1, 1], "Izhar": [1, 2]}
    assert "| v1 | 0.333 | 0.333 |" in cr.table(r)


def test_a_clip_labelled_differently_is_refused():
    with pytest.raises(SystemExit, match="labelled Ikhfa"):
        cr.compare({"a": oof(row("1", "Ikhfa", "v", "Ikhfa")), "b": oof(row("1", "Izhar", "v", "Izhar"))})
