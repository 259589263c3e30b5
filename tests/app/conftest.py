from __future__ import annotations

import gc
import threading

import pytest
from PySide6.QtCore import QThreadPool

from tajweed_desktop.app.main_window import MainWindow
from tajweed_desktop.app.settings import AppSettings


@pytest.fixture(scope="package", autouse=True)
def garbage_collected_on_the_gui_thread(qapp):
    """As the app runs (app/main.py): cyclic garbage collected on the GUI thread only."""
    from tajweed_desktop.app.workers import collect_garbage_on_the_gui_thread

    collector = collect_garbage_on_the_gui_thread()
    yield collector
    collector.timer.stop()
    gc.enable()
    gc.collect()


@pytest.fixture(autouse=True)
def no_leftover_threads():
    """Fail any test that leaves pool work running; collect its garbage here, on the GUI thread."""
    yield
    gc.collect()
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
def torch_only_bundle(tmp_path):
    """tiny_bundle's folds without ONNX heads: a bundle only the torch runtime can run."""
    from tajweed_desktop.core.model.bundle import new_card, save_bundle
    from tests.conftest import LABELS4, random_states

    card = new_card("tiny-torch", LABELS4, cross_validation={"macro_f1_mean": 0.0})
    return save_bundle(tmp_path / "tiny-torch", card, random_states(4, 3))


@pytest.fixture
def tiny_ensemble(tiny_bundle):
    from tajweed_desktop.core.model.ensemble import Ensemble

    e = Ensemble.from_path(tiny_bundle, device="cpu")
    yield e
    e.close()


def write_voice(path, seconds: float, rate: int = 16000):
    """A clip of real recitation (a Kaggle clip repeated to length): tones are refused as
    "no recitation heard" by the voice detector."""
    import soundfile as sf

    from tests.conftest import voice

    sf.write(path, voice(seconds, rate, amp=0.3), rate)
    return path


from tests.app.pulse import pulse_mic, pulse_tone  # noqa: E402,F401  (fixtures: the PulseAudio server)
