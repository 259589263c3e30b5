"""Screenshots of live mode, offscreen, at 1024x700, from a real verse fed through the recorder's
own signal as a microphone would give it (each block once the live worker has heard the last):
`QT_QPA_PLATFORM=offscreen PYTHONPATH=. python tools/live_screenshots.py OUT_DIR [RECITER/SSSAAA.mp3] [--given]`

- live-mid.png: mid-recitation, the sites heard so far marked, the word being recited highlighted;
- live-final.png: after Stop, the final check's marks (and what live mode said where it differed).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = Path(os.environ.get("TAJWEED_DATA", REPO.parent / "shared" / "data"))

import soundfile as sf  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tajweed_desktop.app.main_window import MainWindow  # noqa: E402
from tajweed_desktop.app.settings import AppSettings  # noqa: E402
from tajweed_desktop.app.themes import apply_theme  # noqa: E402
from tajweed_desktop.core.audio.decode import decode_bounded  # noqa: E402
from tools.screenshots import wait  # noqa: E402

RATE = 16000


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = Path(args[0] if args else "live-shots")
    name = args[1] if len(args) > 1 else "husary/082019.mp3"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    apply_theme(app, "light")
    tmp = Path(tempfile.mkdtemp())
    settings = AppSettings(tmp / "s.ini")
    settings.set("analysis/device", "cpu")
    w = MainWindow(settings)
    w.resize(1024, 700)
    w.show()
    wait(app, lambda: w.ensemble is not None)
    x = decode_bounded(DATA / "reciters5" / "verses" / name)[0]
    if "--given" in sys.argv:
        s, a = int(Path(name).stem[:3]), int(Path(name).stem[3:])
        from tajweed_desktop.core.quran import text

        w.practice.choose_site(s, a, text.sites(s, a)[0].word)
    recorder, live = w.toolbar.recorder, w.live
    step = RATE // 2
    mid = int(0.72 * len(x))
    w.toolbar.act_record.setText("■ Stop")  # the toolbar as while recording (the blocks come from the file here)
    for k in range(step, len(x) + step, step):
        recorder.audio.emit(x[k - step : min(k, len(x))], RATE)
        recorder.elapsed.emit(min(k, len(x)) / RATE)
        recorder.level.emit(20 * float(__import__("math").log10(max(1e-6, abs(x[k - step : k]).max()))))
        fed = min(k, len(x)) / RATE
        if live.checking:
            wait(app, lambda: live.state is not None and live.state.audio_s >= fed - 1e-6 or not live.checking)
        if k - step < mid <= k:
            for _ in range(5):
                app.processEvents()
            w.grab().save(str(out / "live-mid.png"))
            print(out / "live-mid.png", live.state.status if live.state else "", flush=True)
    path = tmp / "Recitation.wav"
    sf.write(path, x, RATE, subtype="PCM_16")
    recorder.finished.emit(str(path))  # Stop (the toolbar's readouts go back to rest)
    wait(app, lambda: w.analysis.verse_result is not None and not w.workers.busy)
    for _ in range(5):
        app.processEvents()
    w.grab().save(str(out / "live-final.png"))
    print(out / "live-final.png", w.panel.verdict.text())
    w.close()


if __name__ == "__main__":
    main()
