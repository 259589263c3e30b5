"""The one-folder desktop build (`make package`, dist/tajweed-desktop/) holds no torch, stays under
500 MB, and its checker and GUI work without torch (slow; skipped where no build is there:
`make package-check` builds and checks it in full, with timings)."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO, need_data

pytestmark = pytest.mark.slow

BUILD = REPO / "dist" / "tajweed-desktop"


def check_build():
    spec = importlib.util.spec_from_file_location("check_build", REPO / "packaging" / "check_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build() -> Path:
    if not (BUILD / "tajweed-desktop").exists():
        pytest.skip(f"no build at {BUILD} (make package)")
    return BUILD


@pytest.fixture
def env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TAJWEED_MODELS_DIR")}


def test_build_has_no_torch_and_is_under_500_mb(build):
    assert check_build().folder(build)


def test_frozen_checker_gives_the_dev_checkers_probabilities(build, env):
    clip = need_data("tajweed4", "train", "1.wav")
    ok, top = check_build().compare_checkers(build / "tajweed-desktop", clip, env)
    assert ok and top in ("Idgham", "Ikhfa", "Iqlab", "Izhar")


def test_frozen_gui_loads_its_model_and_analyses_without_torch(build, env):
    clip = need_data("tajweed4", "train", "1.wav")
    cb = check_build()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = dict(env, QT_QPA_PLATFORM="offscreen", TAJWEED_STARTUP_PROBE=str(tmp / "probe.json"),
                   XDG_CONFIG_HOME=str(tmp / "cfg"), XDG_STATE_HOME=str(tmp / "state"),
                   TAJWEED_CACHE_DIR=str(tmp / "cache"))
        record = cb.launch(build / "tajweed-desktop", env, tmp, clip)
    assert record["model_ok"]
    assert record.get("top_rule") in ("Idgham", "Ikhfa", "Iqlab", "Izhar"), record.get("analysis_error")
    assert record.get("torch_imported") is False
