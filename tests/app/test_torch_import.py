"""The app as a user starts it: torch not yet imported when the window is built. (Every other
test imports torch on the main thread at collection, which hid a crash: see torch_import.py.)"""

from __future__ import annotations

import os
import subprocess
import sys

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
for clip in sys.argv[2:] * 3:
    w.last_analysis = None
    w.open_file(clip)
    wait(lambda: w.last_analysis is not None and not w.workers.busy)
w.close()
print("ok", flush=True)
"""


def test_opening_files_after_torch_loads_in_the_background(tiny_bundle):
    clips = [str(need_data("tajweed4", "train", f"{i}.wav")) for i in (1, 2, 3)]
    r = subprocess.run([sys.executable, "-X", "faulthandler", "-c", SCRIPT, str(tiny_bundle), *clips], cwd=REPO,
                       capture_output=True, text=True, timeout=240, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]
