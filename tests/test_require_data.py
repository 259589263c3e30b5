"""The real-data tests cannot quietly vanish: without ../shared/data a developer gets a clear
skip, and CI (which sets TAJWEED_REQUIRE_DATA=1 in .ci/run) gets a failure instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import conftest


def test_missing_data_skips_with_its_reason_for_a_developer(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "DATA", tmp_path / "nowhere")
    monkeypatch.delenv(conftest.REQUIRE_DATA_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"real data not found at .*nowhere.*TAJWEED_DATA"):
        conftest.need_data("tajweed4")


def test_missing_data_fails_where_it_is_required(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "DATA", tmp_path / "nowhere")
    monkeypatch.setenv(conftest.REQUIRE_DATA_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="TAJWEED_REQUIRE_DATA is set"):
        conftest.need_data("tajweed4")


def test_ci_requires_the_data():
    ci = (Path(conftest.REPO) / ".ci" / "run").read_text()
    assert f"export {conftest.REQUIRE_DATA_ENV}=1" in ci
    assert ci.index(f"export {conftest.REQUIRE_DATA_ENV}=1") < ci.index("make test")
