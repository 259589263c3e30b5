"""The longest gap in the Qt event loop, seen by a 5 ms timer, while the real window analyses a
clip, runs a batch and checks a whole verse found from the audio (offscreen, the real bundle).

Each gap is also split by what the GUI thread itself did during it (its own CPU time,
`time.thread_time`): a gap the GUI thread spent computing is work to move off it; a gap it spent
waiting is the operating system giving both cores to the workers (or a worker holding the GIL)."""

from __future__ import annotations

import shutil
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
        now, cpu = time.perf_counter(), time.thread_time()
        if self.last is not None and now - self.last > self.longest:
            self.longest, self.longest_cpu = now - self.last, cpu - self.last_cpu
        self.last, self.last_cpu = now, cpu

    def start(self) -> None:
        self.last, self.longest, self.longest_cpu = None, 0.0, 0.0
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


def run(bundle: Path, clip: Path, folder: Path, repeats: int, verse: Path | None = None) -> list[dict]:
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
        verse_gaps = []
        if verse is not None:  # copied under a name that does not say the verse: found from the audio
            unnamed = Path(tmp) / "my recitation.mp3"
            shutil.copy(verse, unnamed)
            for _ in range(repeats):
                window.analysis.verse_result = None
                probe.start()
                window.open_file(str(unnamed))
                wait(app, lambda: window.analysis.verse_result is not None and not window.workers.busy)
                verse_gaps.append((probe.stop(), probe.longest_cpu))
        window.close()
        wait(app, lambda: not window.workers.busy)
    return [
        {"what": f"longest event-loop gap while analysing a clip (median of {repeats})",
         "value": f"{statistics.median(clip_gaps) * 1e3:.0f} ms", "ratio": "", "target": "< 50 ms"},
        {"what": f"longest event-loop gap during a batch of {folder.name}/", "value": f"{batch_gap * 1e3:.0f} ms",
         "ratio": "", "target": "< 50 ms"},
    ] + ([
        {"what": f"longest event-loop gap while checking {verse.parent.name}/{verse.name} in verse mode, found from "
                 f"the audio (median of {repeats})",
         "value": f"{statistics.median(g for g, _ in verse_gaps) * 1e3:.0f} ms",
         "ratio": "GUI thread's own CPU time in those gaps: "
                  + ", ".join(f"{c * 1e3:.0f} of {g * 1e3:.0f} ms" for g, c in verse_gaps), "target": "< 50 ms"},
    ] if verse is not None else [])
