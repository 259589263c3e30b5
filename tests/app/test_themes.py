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


def _contrast(a, b) -> float:
    def lum(c):
        v = [x / 255 for x in (c.red(), c.green(), c.blue())]
        v = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in v]
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_a_live_theme_switch_recolours_the_timeline_legend(window, qtbot, tmp_path):
    """The legend kept the old theme's text colour (near-black on dark, about 1.2:1) until the
    next analysis."""
    import re

    from PySide6.QtGui import QColor

    from tests.app.conftest import write_voice

    app = QApplication.instance()
    try:
        apply_theme(app, "light")
        window.open_file(str(write_voice(tmp_path / "long.wav", 9.0)))
        qtbot.waitUntil(lambda: window.last_analysis is not None and not window.workers.busy, timeout=30000)
        for theme in ("dark", "light"):
            apply_theme(app, theme)
            def themed(theme=theme) -> bool:  # palette events are posted
                light = window.waveform.legend_view.backgroundBrush().color().lightness()
                return light < 80 if theme == "dark" else light > 180

            qtbot.waitUntil(themed)
            background = window.waveform.legend_view.backgroundBrush().color()
            for _, label in window.waveform.legend.items:
                shown = QColor(re.search(r"color:\s*(#[0-9a-fA-F]{6,8})", label.item.toHtml()).group(1))
                assert _contrast(shown, background) >= 4.5, (theme, label.text, shown.name())
    finally:
        apply_theme(app, "system")


def test_the_14_rules_get_colours_told_apart_ikhfa_and_ikhfa_shafawi_too(qtbot):
    """Ikhfa and Ikhfa shafawi shared nearly the same green (7.5 apart in CIELAB)."""
    import itertools

    import numpy as np
    import pyqtgraph as pg

    from tajweed_desktop.app.waveform_view import WaveformView

    def lab(c):
        v = np.array([c.redF(), c.greenF(), c.blueF()])
        v = np.where(v > 0.04045, ((v + 0.055) / 1.055) ** 2.4, v / 12.92)
        xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ v
        f = np.cbrt(np.maximum(xyz / np.array([0.95047, 1.0, 1.08883]), 216 / 24389))
        return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])

    labels = ["idgham_bighunnah", "idgham_bilaghunnah", "idgham_mim", "idgham_musyaddadah", "ikhfa", "ikhfa_syafawi",
              "iqlab", "izhar", "izhar_syafawi", "mad_asli", "mad_jaiz_munfasil", "mad_wajib", "qalqalah_kubra",
              "qalqalah_sughra"]
    waveform = WaveformView()
    qtbot.addWidget(waveform)
    waveform.set_timeline(labels, np.arange(10) + 2.0, np.full((10, 14), 1 / 14))
    colours = [lab(pg.mkPen(sample.item.opts["pen"]).color()) for sample, _ in waveform.legend.items]
    assert len(colours) == 14
    assert np.linalg.norm(colours[4] - colours[5]) > 20
    assert min(np.linalg.norm(a - b) for a, b in itertools.combinations(colours, 2)) > 20
