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
from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.memory import resident_mb
from .settings import AppSettings
from .themes import apply_theme

log = logging.getLogger("tajweed_desktop")
STARTUP_PROBE = "TAJWEED_STARTUP_PROBE"  # bench/: write startup timings to this JSON file and quit
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
    argv = sys.argv if argv is None else argv
    setup_logging()
    sys.excepthook = excepthook
    app = QApplication(argv)
    app.setApplicationName("Tajweed Checker")
    settings = AppSettings()
    apply_theme(app, settings.theme)
    from .main_window import MainWindow

    window = MainWindow(settings)
    window.show()
    app.processEvents()  # expose and paint now, so the time below is the window on screen
    shown = time.time()
    from . import torch_import

    torch_import.start()  # now, not before: the import competes with building the window for the GIL
    log.info("window on screen %.2f s after main() started", time.perf_counter() - started)
    window.model_changed.connect(lambda ok: log.info("model %s %.2f s after main() started",
                                                     "ready" if ok else "failed", time.perf_counter() - started))
    if os.environ.get(STARTUP_PROBE):
        window.model_changed.connect(lambda ok: _write_probe(os.environ[STARTUP_PROBE], shown, ok, app))
    if len(argv) > 1:
        window.open_path(argv[1])
    return app.exec()


def _write_probe(path: str, shown: float, ok: bool, app) -> None:
    """Startup timings as absolute times, so the launcher can subtract its own start time."""
    with open(path, "w") as f:
        json.dump({"window_shown": shown, "model_ready": time.time(), "model_ok": ok, "rss_mb": resident_mb()}, f)
    app.quit()


if __name__ == "__main__":
    sys.exit(main())
