"""Start the app: logging and the excepthook first, then the window, then the model in a worker."""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time
import traceback

from platformdirs import user_log_dir
from PySide6.QtCore import QThreadPool, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from tajweed_desktop.core.common.memory import limit_malloc_arenas, release_free_memory, resident_mb
from .settings import AppSettings
from .themes import apply_theme

log = logging.getLogger("tajweed_desktop")
STARTUP_PROBE = "TAJWEED_STARTUP_PROBE"  # bench/, tests: write startup timings to this JSON file and quit
_dialog_open = False


def setup_logging() -> str:
    from pathlib import Path

    folder = Path(user_log_dir("TajweedDesktop", "Tajweed"))
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(folder / "app.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    qInstallMessageHandler(lambda kind, ctx, msg: logging.getLogger("qt").log(levels.get(kind, logging.INFO), msg))
    return str(folder / "app.log")


def excepthook(kind, value, tb) -> None:
    """Log every uncaught error; show one dialog at a time rather than a cascade."""
    global _dialog_open
    log.error("uncaught error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
    if _dialog_open or QApplication.instance() is None:
        return
    _dialog_open = True
    try:
        QMessageBox.critical(None, "Unexpected error", f"{kind.__name__}: {value}\n\nDetails are in the log file.")
    finally:
        _dialog_open = False


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    limit_malloc_arenas()  # before any thread starts (core/common/memory.py says why)
    argv = sys.argv if argv is None else argv
    setup_logging()
    sys.excepthook = excepthook
    app = QApplication(argv)
    from .workers import collect_garbage_on_the_gui_thread

    garbage = collect_garbage_on_the_gui_thread()  # noqa: F841  (held while the app runs)
    app.setApplicationName("Tajweed Checker")
    settings = AppSettings()
    apply_theme(app, settings.theme)
    from .main_window import MainWindow

    window = MainWindow(settings)
    window.show()
    app.processEvents()  # expose and paint now, so the time below is the window on screen
    shown = time.time()
    from . import native_import

    native_import.start()  # now, not before: the import competes with building the window for the GIL
    log.info("window on screen %.2f s after main() started", time.perf_counter() - started)
    window.model_changed.connect(lambda ok: log.info("model %s %.2f s after main() started",
                                                     "ready" if ok else "failed", time.perf_counter() - started))
    if os.environ.get(STARTUP_PROBE):
        clip = argv[1] if len(argv) > 1 and not os.path.isdir(argv[1]) else None
        probe = _StartupProbe(os.environ[STARTUP_PROBE], shown, window, app, clip)  # noqa: F841  (held while the app runs)
    if len(argv) > 1:
        window.open_path(argv[1])
    code = app.exec()
    # Workers still running when the loop ends (a model load, an analysis; a batch stops at its
    # next file once the window's close cancels it) finish before Python tears the window down:
    # one emitting into deleted objects crashed the interpreter on exit ("Signal source has been
    # deleted", then a segfault), about 1 launch in 25 when the loop ended as the model loaded.
    window.close()  # a no-op when the user closed it; cancels the workers when app.quit() ended the loop
    QThreadPool.globalInstance().waitForDone(30_000)
    return code


class _StartupProbe:
    """Writes startup timings as JSON and quits, once: when the model is ready (or failed), or,
    with a file on the command line, when that file's analysis has finished (or failed), so a
    launcher can also see what the analysis imported. Times are absolute, so the launcher can
    subtract its own start time. Keys: window_shown, model_ready, model_ok, rss_mb,
    torch_imported; with a file also clip, analysed (the time), top_rule (a clip), verse (a verse
    mode's summary) or analysis_error."""

    def __init__(self, path: str, shown: float, window, app, clip: str | None):
        self.path, self.app, self.clip = path, app, clip
        self.record: dict = {"window_shown": shown}
        self.written = False
        window.model_changed.connect(self._model_changed)
        if clip is not None:
            window.analysis.analysed.connect(lambda analysis: self._analysed(top_rule=analysis.clip.top_rule))
            window.analysis.verse_checked.connect(lambda result: self._analysed(verse=result.summary()))
            window.analysis.failed.connect(lambda title, text: self._analysed(analysis_error=f"{title}: {text}"))

    def _model_changed(self, ok: bool) -> None:
        if "model_ready" in self.record:
            return
        self.record.update(model_ready=time.time(), model_ok=ok)
        if self.clip is None or not ok:  # without a model no analysis will come
            self._write()

    def _analysed(self, **outcome) -> None:
        self.record.update(clip=self.clip, analysed=time.time(), **outcome)
        self._write()

    def _write(self) -> None:
        if self.written:
            return
        self.written = True
        release_free_memory()  # as the worker set does once this job's signals are delivered: what the app keeps
        self.record.update(rss_mb=resident_mb(), torch_imported="torch" in sys.modules)
        with open(self.path, "w") as f:
            json.dump(self.record, f)
        self.app.quit()


if __name__ == "__main__":
    sys.exit(main())
