"""Start the app: logging and the excepthook first, then the window, then the model in a worker."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback

from platformdirs import user_log_dir
from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from .settings import AppSettings
from .themes import apply_theme

log = logging.getLogger("tajweed_desktop")
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
    if len(argv) > 1:
        window.open_path(argv[1])
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
