"""Save the README's screenshots, offscreen, from the real data in ../shared/data:
`QT_QPA_PLATFORM=offscreen python tools/screenshots.py [OUT_DIR]`.

- practice-light.png: practice mode, a word of a verse chosen, a reciter's clip of that word;
- verse-dark.png: verse mode on a 17 s verse found from the audio, each site marked;
- rules14-light.png: the 14-rule bundle on one of its clips;
- batch-dark.png: the Kaggle samples checked against their labels (expected rules from train.csv)."""

from __future__ import annotations

import os
import shutil
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


def wait(app, cond, timeout=180.0):
    end = time.monotonic() + timeout
    while not cond():
        app.processEvents()
        if time.monotonic() > end:
            raise TimeoutError
        time.sleep(0.02)


def window(app, theme: str, model: str = "tajweed4") -> MainWindow:
    apply_theme(app, theme)
    settings = AppSettings(Path(tempfile.mkdtemp()) / "s.ini")
    settings.set("analysis/device", "cpu")
    settings.set("analysis/model", model)
    w = MainWindow(settings)
    w.resize(1100, 820)
    w.show()
    wait(app, lambda: w.ensemble is not None)
    return w


def analyse(app, w: MainWindow, path: Path) -> None:
    w.last_analysis = None
    w.open_file(str(path))
    wait(app, lambda: w.last_analysis is not None and not w.workers.busy)
    for _ in range(5):
        app.processEvents()


def save(w: MainWindow, out: Path, name: str) -> None:
    w.grab().save(str(out / name))
    print(out / name)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "docs")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])

    w = window(app, "light")
    w.practice.choose_site(82, 5, 2)  # عَلِمَتۡ نَفۡسࣱ مَّا: tanween before meem, Idgham
    analyse(app, w, DATA / "reciters5" / "train" / "husary_082005_w02_idgham_ghunnah.wav")
    save(w, out, "practice-light.png")
    w.close()

    w = window(app, "dark")
    unnamed = Path(tempfile.mkdtemp()) / "my recitation.mp3"  # no verse in the name: found from the audio
    shutil.copy(DATA / "reciters5" / "verses" / "husary" / "082019.mp3", unnamed)
    w.analysis.verse_result = None
    w.open_file(str(unnamed))
    wait(app, lambda: w.analysis.verse_result is not None and not w.workers.busy)
    w.analysis.select_site(0)  # the first site's span selected, as a click in the list does
    for _ in range(5):
        app.processEvents()
    save(w, out, "verse-dark.png")
    w.close()

    w = window(app, "light", "rules14")
    w.practice.choose_rule("ikhfa")
    analyse(app, w, DATA / "rules14" / "ikhfa" / "tes 1.opus")
    save(w, out, "rules14-light.png")
    w.close()

    w = window(app, "dark")
    # a temporary copy of the Kaggle samples with their train.csv (the expected rule per file) and
    # one damaged file, to show a failed row
    folder = Path(tempfile.mkdtemp()) / "train"
    shutil.copytree(DATA / "kaggle_samples" / "train", folder)
    shutil.copy(DATA / "kaggle_samples" / "train.csv", folder.parent / "train.csv")
    (folder / "11 damaged.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt damaged")
    w.open_folder(str(folder))
    wait(app, lambda: len(w.batch.results) > 0 and w.batch_worker is None)
    app.processEvents()
    save(w, out, "batch-dark.png")
    w.close()


if __name__ == "__main__":
    main()
