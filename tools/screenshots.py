"""Save screenshots of the learner's view with a clip analysed and of the batch view, in both
themes, offscreen: `QT_QPA_PLATFORM=offscreen python tools/screenshots.py [OUT_DIR]`."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TAJWEED_DATA", REPO.parent / "shared" / "data"))

from PySide6.QtWidgets import QApplication  # noqa: E402

from tajweed_desktop.app.main_window import MainWindow  # noqa: E402
from tajweed_desktop.app.settings import AppSettings  # noqa: E402
from tajweed_desktop.app.themes import apply_theme  # noqa: E402


def wait(app, cond, timeout=60.0):
    end = time.monotonic() + timeout
    while not cond():
        app.processEvents()
        if time.monotonic() > end:
            raise TimeoutError
        time.sleep(0.02)


def longest_clip() -> Path:
    import soundfile as sf

    return max(sorted((DATA / "tajweed4" / "train").glob("*.wav")), key=lambda p: sf.info(str(p)).frames)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "docs")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    for theme in ("light", "dark"):
        apply_theme(app, theme)
        settings = AppSettings(Path(tempfile.mkdtemp()) / "s.ini")
        settings.set("analysis/device", "cpu")
        w = MainWindow(settings)
        w.resize(1100, 800)
        w.show()
        wait(app, lambda: w.ensemble is not None)
        w.open_file(str(longest_clip()))  # long enough for a timeline under the waveform
        wait(app, lambda: getattr(w, "last_analysis", None) is not None)
        app.processEvents()
        w.grab().save(str(out / f"learner-{theme}.png"))
        w.open_folder(str(DATA / "kaggle_samples" / "train"))
        wait(app, lambda: w.batch_worker is None)
        app.processEvents()
        w.grab().save(str(out / f"batch-{theme}.png"))
        w.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
