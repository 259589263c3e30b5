"""The app as a user starts it: native libraries (and torch, when a plan needs it) imported on a
plain thread after the window is built, and no torch at all on the CPU path. (Every other test
imports torch on the main thread at collection, which hid a crash: see native_import.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from tajweed_desktop.app import model_loader, native_import
from tajweed_desktop.core.model import ensemble as core_ensemble
from tests.conftest import REPO, need_data

SCRIPT = """
import sys, time, tempfile
from pathlib import Path
from PySide6.QtWidgets import QApplication
from tajweed_desktop.app.main_window import MainWindow
from tajweed_desktop.app.settings import AppSettings
assert "torch" not in sys.modules
app = QApplication([])
settings = AppSettings(Path(tempfile.mkdtemp()) / "s.ini")
settings.set("analysis/model", sys.argv[1])
settings.set("analysis/device", "cpu")
w = MainWindow(settings)
w.show()
def wait(cond):
    end = time.monotonic() + 60
    while not cond():
        assert time.monotonic() < end, "timed out"
        app.processEvents()
        time.sleep(0.01)
wait(lambda: w.ensemble is not None)
assert w.ensemble.runtime == "torch" and "torch" in sys.modules  # a bundle without ONNX heads
for clip in sys.argv[2:] * 3:
    w.last_analysis = None
    w.open_file(clip)
    wait(lambda: w.last_analysis is not None and not w.workers.busy)
w.close()
print("ok", flush=True)
"""


def test_opening_files_after_torch_loads_in_the_background(torch_only_bundle):
    """The torch runtime (a bundle without ONNX heads): torch imported by require_torch on a
    plain thread, then clips opened and analysed on pool threads without a crash."""
    clips = [str(need_data("tajweed4", "train", f"{i}.wav")) for i in (1, 2, 3)]
    r = subprocess.run([sys.executable, "-X", "faulthandler", "-c", SCRIPT, str(torch_only_bundle), *clips], cwd=REPO,
                       capture_output=True, text=True, timeout=240, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


def test_the_cpu_app_analyses_a_clip_without_ever_importing_torch(tmp_path):
    """`tajweed-desktop CLIP` with the default settings (device "auto") and the bundled model, on
    this CPU machine: the startup probe is written once the clip is analysed, and torch was never
    imported, neither to load the model nor to read and analyse the clip."""
    clip = need_data("tajweed4", "train", "1.wav")
    probe = tmp_path / "probe.json"
    env = {k: v for k, v in os.environ.items() if k != "TAJWEED_MODELS_DIR"}
    env.update(QT_QPA_PLATFORM="offscreen", TAJWEED_STARTUP_PROBE=str(probe), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))
    r = subprocess.run([sys.executable, "-X", "faulthandler", "-m", "tajweed_desktop", str(clip)], cwd=REPO,
                       capture_output=True, text=True, timeout=240, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(probe.read_text())
    assert result["model_ok"] is True
    assert "analysis_error" not in result, result
    assert result["clip"] == str(clip)
    assert result["top_rule"] in ("Idgham", "Ikhfa", "Iqlab", "Izhar")
    assert result["window_shown"] <= result["model_ready"] <= result["analysed"]
    assert result["torch_imported"] is False
    # A regression guard with real margin, not the 400 MB target: that figure (measured 373-408 MB
    # here, depending on what else is installed, e.g. PulseAudio's client libraries) is noise this
    # close to its bound and belongs to `make bench`, which reports it. Torch alone would add
    # 500 MB (the app held 1054 MB with it).
    assert result["rss_mb"] < 700, result["rss_mb"]


def test_the_loader_builds_a_torch_ensemble_on_a_plain_thread_not_the_pool(make_window, torch_only_bundle, qtbot,
                                                                            monkeypatch):
    """A bundle without ONNX heads, so the torch runtime is planned: the loader's worker runs on
    a Qt pool thread (a dummy entry to Python), the Ensemble is built on a plain Python thread."""
    seen = {}
    real_load, real_init = model_loader._load_ensemble, core_ensemble.Ensemble.__init__

    def load(*args):
        seen["loader"] = threading.current_thread()
        return real_load(*args)

    def init(self, bundle, *args, **kwargs):
        seen["built"] = threading.current_thread()
        seen["plan"] = core_ensemble.plan_heads(bundle, "cpu").runtime
        real_init(self, bundle, *args, **kwargs)

    monkeypatch.setattr(model_loader, "_load_ensemble", load)
    monkeypatch.setattr(core_ensemble.Ensemble, "__init__", init)
    w = make_window(torch_only_bundle)
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=30000)
    assert seen["plan"] == "torch" and w.ensemble.runtime == "torch"
    loader, built = seen["loader"], seen["built"]
    assert isinstance(loader, threading._DummyThread), f"the loader's worker is not a Qt pool thread: {loader!r}"
    assert not isinstance(built, threading._DummyThread), f"built on a thread Python did not start: {built!r}"
    assert built is not threading.main_thread() and not built.is_alive()  # a worker of its own, joined


def test_on_plain_thread_returns_the_result_or_raises_the_workers_error_in_the_caller():
    caller = threading.current_thread()
    assert native_import.on_plain_thread(lambda a, b: (a + b, threading.current_thread() is not caller), 2, b=3) == (5, True)

    def fail():
        raise ValueError("from the worker")

    with pytest.raises(ValueError, match="from the worker"):
        native_import.on_plain_thread(fail)


def test_require_torch_reports_a_missing_torch_to_its_caller(monkeypatch):
    monkeypatch.setattr(native_import, "TORCH_HEADS", "tajweed_desktop.core.no_such_module")
    with pytest.raises(ModuleNotFoundError):
        native_import.require_torch()
