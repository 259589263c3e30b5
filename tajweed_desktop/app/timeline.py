"""The rule timeline under the waveform: one colour per rule that stays distinct for 14 rules, lines
for a short recording and stacked bands for a long one, and a legend laid out in as many columns
as the width holds, its text in the theme's colour."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen

# matplotlib's tab10, then lighter blue, orange, green and red (drawn dashed): the nearest two
# colours are 28 apart in CIELAB (ΔE76), where pyqtgraph's 14 hues put Ikhfa and Ikhfa shafawi 7.5 apart
RULE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896")
LINE_WINDOWS = 90  # beyond this many windows, 4-14 crossing lines are unreadable: stacked bands instead
MARKER_WINDOWS = 45  # markers only while they can be told apart


def rule_colour(i: int) -> QColor:
    return QColor(RULE_COLOURS[i % len(RULE_COLOURS)])


def rule_pen(i: int) -> QPen:
    pen = pg.mkPen(rule_colour(i), width=2)
    if i >= 10:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


def draw(plot: pg.PlotWidget, legend: pg.LegendItem, names: list[str], centres: np.ndarray, probs: np.ndarray) -> bool:
    """Draws probs (windows, rules) at window centres; True when drawn as stacked bands."""
    stacked = len(centres) > LINE_WINDOWS
    if not stacked:
        for i, name in enumerate(names):
            pen = rule_pen(i)
            item = plot.plot(centres, probs[:, i], pen=pen, symbol="o" if len(centres) <= MARKER_WINDOWS else None,
                             symbolSize=5, symbolBrush=pen.color(), symbolPen=pen.color())
            legend.addItem(item, name)
        return False
    # each rule a band as thick as its probability, stacked to 1: the colour that fills most of
    # a stretch is the rule heard there, however many windows there are
    tops = np.cumsum(probs, axis=1)
    lower = plot.plot(centres, np.zeros(len(centres)), pen=None)
    for i, name in enumerate(names):
        colour = rule_colour(i)
        upper = plot.plot(centres, tops[:, i], pen=pg.mkPen(colour, width=1))
        fill = QColor(colour)
        fill.setAlpha(200)
        plot.addItem(pg.FillBetweenItem(lower, upper, brush=fill))
        swatch = pg.PlotDataItem([0, 1], [1, 1], pen=pg.mkPen(colour, width=1), fillLevel=0, fillBrush=fill)
        legend.addItem(swatch, name)  # a filled swatch, as the band is drawn
        lower = upper
    return True


def _entry_widths(legend: pg.LegendItem) -> list[float]:
    return [sample.boundingRect().width() + label.item.boundingRect().width() + 16 for sample, label in legend.items]


def legend_columns(widths: list[float], available: float) -> int:
    """The most columns (items fill rows left to right) whose widest entries fit side by side."""
    for n in range(len(widths), 1, -1):
        if sum(max(widths[c::n]) for c in range(n)) <= available:
            return n
    return 1


def fit_legend(legend: pg.LegendItem, view: pg.GraphicsLayoutWidget, width: int) -> None:
    """As many columns as `width` holds, and the strip as tall as the rows that makes."""
    widths = _entry_widths(legend)
    if not widths:
        return
    legend.setColumnCount(legend_columns(widths, width - 12))
    legend.updateSize()
    legend.layout.activate()
    view.setFixedHeight(int(np.ceil(legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).height())) + 4)


def colour_legend_text(legend: pg.LegendItem, colour: QColor) -> None:
    """The legend's text in `colour`, now: pyqtgraph's setLabelTextColor only stores the colour
    for labels drawn later, so after a theme switch the old text colour stayed (1.2:1 on dark)."""
    legend.setLabelTextColor(colour)
    for _, label in legend.items:
        label.setText(label.text, color=colour)
