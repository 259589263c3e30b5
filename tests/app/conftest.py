from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThreadPool

from tajweed_desktop.app.main_window import MainWindow
from tajweed_desktop.app.settings import AppSettings


@pytest.fixture(autouse=True)
def no_leftover_threads():
    """Fail any test that leaves pool work running."""
    yield
    pool = QThreadPool.globalInstance()
    assert pool.waitForDone(10000), "a test left background work running"
    assert pool.activeThreadCount() == 0
    assert not [t.name for t in threading.enumerate() if t.name.startswith("ensemble")], "ensemble threads left"


@pytest.fixture
def settings_path(tmp_path):
    return tmp_path / "settings.ini"


@pytest.fixture
def make_window(qtbot, settings_path, tiny_bundle):
    windows = []

    def make(model=tiny_bundle):
        settings = AppSettings(settings_path)
        settings.set("analysis/model", str(model))
        settings.set("analysis/device", "cpu")
        w = MainWindow(settings)
        qtbot.addWidget(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()


@pytest.fixture
def window(make_window, qtbot):
    w = make_window()
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=20000)
    return w


@pytest.fixture
def tiny_ensemble(tiny_bundle):
    from tajweed_desktop.core.ensemble import Ensemble

    e = Ensemble.from_path(tiny_bundle, device="cpu")
    yield e
    e.close()


def write_tone(path, seconds: float, rate: int = 16000):
    """A clip with some movement in it (a plain tone file, not the real data)."""
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.7 * t))
    sf.write(path, x.astype(np.float32), rate)
    return path
