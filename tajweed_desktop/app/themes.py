"""Light and dark themes through Qt's own colour scheme; "system" follows the desktop."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def apply_theme(app: QApplication, theme: str) -> None:
    scheme = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}.get(theme, Qt.ColorScheme.Unknown)
    app.styleHints().setColorScheme(scheme)
    app.setStyle("Fusion")  # Fusion follows the colour scheme on every platform
