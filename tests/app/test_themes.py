from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from tajweed_desktop.app.themes import apply_theme


def test_dark_and_light_themes_change_the_palette_and_the_waveform(window, qtbot):
    app = QApplication.instance()
    try:
        apply_theme(app, "dark")
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        qtbot.waitUntil(lambda: window.waveform.wave_plot.backgroundBrush().color().lightness() < 80)  # palette events are posted
        apply_theme(app, "light")
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 180
        qtbot.waitUntil(lambda: window.waveform.wave_plot.backgroundBrush().color().lightness() > 180)
    finally:
        apply_theme(app, "system")
