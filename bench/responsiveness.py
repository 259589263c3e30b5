"""The longest gap in the Qt event loop, seen by a 5 ms timer, while the real window analyses a
clip and while it runs a batch (offscreen, the real bundle)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from tajweed_desktop.app.main_window import MainWindow
from tajweed_desktop.app.settings import AppSettings


class GapProbe:
    def __init__(self) -> None:
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.longest = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last is not None:
            self.longest = max(self.longest, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last, self.longest = None, 0.0
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.longest


def wait(app: QApplication, condition, timeout: float = 300.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the app did not finish in time")
        app.processEvents()
        time.sleep(0.001)


def run(bundle: Path, clip: Path, folder: Path, repeats: int) -> list[dict]:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        settings = AppSettings(Path(tmp) / "settings.ini")
        settings.set("analysis/model", str(bundle))
        settings.set("analysis/device", "cpu")
        window = MainWindow(settings)
        window.show()
        wait(app, lambda: window.ensemble is not None)
        probe = GapProbe()
        clip_gaps = []
        for _ in range(repeats):
            window.last_analysis = None
            probe.start()
            window.open_file(str(clip))
            wait(app, lambda: getattr(window, "last_analysis", None) is not None and not window.workers.busy)
            clip_gaps.append(probe.stop())
        probe.start()
        window.open_folder(str(folder))
        wait(app, lambda: window.batch_worker is None)
        batch_gap = probe.stop()
        window.close()
        wait(app, lambda: not window.workers.busy)
    return [
        {"what": f"longest event-loop gap while analysing a clip (median of {repeats})",
         "value": f"{statistics.median(clip_gaps) * 1e3:.0f} ms", "ratio": "", "target": "< 50 ms"},
        {"what": f"longest event-loop gap during a batch of {folder.name}/", "value": f"{batch_gap * 1e3:.0f} ms",
         "ratio": "", "target": "< 50 ms"},
    ]
