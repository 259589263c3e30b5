"""The waveform: peak-downsampled for long recordings, a selection to analyse, a playhead,
and a timeline of rule probabilities aligned under it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSignalBlocker, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

from . import timeline

TIMELINE_MIN_HEIGHT = 100  # p from 0 to 1 and the time axis
WAVE_MIN_HEIGHT = 100
DISPLAY_POINTS = 100_000  # longer recordings are drawn as a min/max envelope of this many points


def envelope(samples: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Times and values to draw. Past DISPLAY_POINTS samples, the minimum and maximum of each block:
    pyqtgraph's own peak downsampling ran over every sample at each change of view, four times
    while a 10-minute file opened (1.3 s with the window frozen)."""
    n = len(samples)
    if n <= DISPLAY_POINTS:
        return np.arange(n, dtype=np.float32) / np.float32(rate), samples
    block = -(-n // (DISPLAY_POINTS // 2))
    whole = n // block * block
    blocks = samples[:whole].reshape(-1, block)
    y = np.empty(2 * len(blocks), np.float32)
    y[0::2], y[1::2] = blocks.min(axis=1), blocks.max(axis=1)
    starts = np.arange(len(blocks), dtype=np.float64) * block
    t = np.empty(2 * len(blocks))
    t[0::2], t[1::2] = starts, starts + block / 2
    tail = samples[whole:]
    t = np.concatenate([t, np.arange(whole, n)]) / rate
    return t.astype(np.float32), np.concatenate([y, tail]).astype(np.float32)
AXIS_WIDTH = 48
LIVE_WINDOW_SECONDS = 15.0  # while recording: the last this many seconds are shown (the view grows to it, then scrolls)
LIVE_BLOCK = 160  # ... drawn as the min and max of each block of this many samples (10 ms at 16 kHz: 3,200 points)
LIVE_MIN_PEAK = 0.05  # the live view's height starts at this (a quiet start is not drawn as noise filling the plot)


def live_envelope(samples: np.ndarray, rate: int, first: int) -> tuple[np.ndarray, np.ndarray]:
    """The min and max of each LIVE_BLOCK from sample `first` on, blocks counted from the recording's
    start (so that a block is drawn the same at every update and the scrolling trace does not
    shimmer); the unfinished last block as it is. Its cost is the window's, not the recording's."""
    first -= first % LIVE_BLOCK
    seg = samples[first:]
    whole = len(seg) // LIVE_BLOCK * LIVE_BLOCK
    blocks = seg[:whole].reshape(-1, LIVE_BLOCK)
    y = np.empty(2 * len(blocks) + (len(seg) > whole) * 2, np.float32)
    y[0 : 2 * len(blocks) : 2], y[1 : 2 * len(blocks) : 2] = blocks.min(axis=1), blocks.max(axis=1)
    if len(seg) > whole:
        y[-2:] = seg[whole:].min(), seg[whole:].max()
    starts = first + np.arange(len(y) // 2, dtype=np.float64) * LIVE_BLOCK
    t = np.empty(len(y))
    t[0::2], t[1::2] = starts, starts + LIVE_BLOCK / 2
    return (t / rate).astype(np.float32), y


class WaveformView(QWidget):
    selection_changed = Signal(float, float)
    seek_requested = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.wave_plot = pg.PlotWidget()
        self.wave_plot.setAccessibleName("Waveform")
        self.wave_plot.setMouseEnabled(x=True, y=False)
        self.wave_plot.setLabel("bottom", "time", units="s")
        self.wave_plot.setYRange(-1, 1)
        self.curve = self.wave_plot.plot(pen=pg.mkPen(width=1))
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.region = pg.LinearRegionItem(movable=True)
        self.region.setZValue(10)
        self.region.hide()
        self.region.sigRegionChangeFinished.connect(self._emit_selection)
        self.wave_plot.addItem(self.region)
        # the span the headline verdict judged: a band along the top of the plot
        self.judged = pg.LinearRegionItem(movable=False, span=(0.9, 1.0))
        self.judged.setZValue(11)
        self.judged.setToolTip("The span the headline verdict judged")
        self.judged.hide()
        self.wave_plot.addItem(self.judged)
        self.judged_label = pg.TextItem("judged", anchor=(0, 0))
        self.judged_label.setZValue(12)
        self.judged_label.hide()
        self.wave_plot.addItem(self.judged_label)
        self.playhead = pg.InfiniteLine(pos=0, angle=90, movable=True, pen=pg.mkPen("r", width=2))
        self.playhead.sigPositionChangeFinished.connect(lambda line: self.seek_requested.emit(float(line.value())))
        self.wave_plot.addItem(self.playhead)

        self.timeline_plot = pg.PlotWidget()
        self.timeline_plot.setAccessibleName("Rule timeline")
        self.timeline_plot.setMinimumHeight(TIMELINE_MIN_HEIGHT)
        self.timeline_plot.setMaximumHeight(220)
        self.timeline_plot.setMouseEnabled(x=True, y=False)
        self.timeline_plot.setYRange(0, 1, padding=0.05)
        self.timeline_plot.setLabel("left", "p")
        self.timeline_plot.setLabel("bottom", "time", units="s")
        # three ticks only: with pyqtgraph's default ticks the labels of a short axis overlapped
        self.timeline_plot.getPlotItem().getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
        for plot in (self.wave_plot, self.timeline_plot):  # the same axis width, so the time axes line up
            plot.getPlotItem().getAxis("left").setWidth(AXIS_WIDTH)
        # the legend in a row above the plot, not over it: in the plot, a 4-rule legend taller than
        # the plot showed 2-3 of its rules
        self.legend = pg.LegendItem(colCount=4)
        self.legend_view = pg.GraphicsLayoutWidget()
        self.legend_view.setAccessibleName("Timeline legend")
        self.legend_view.ci.addItem(self.legend)
        self.legend_view.ci.setContentsMargins(0, 0, 0, 0)
        self.wave_plot.setMinimumHeight(WAVE_MIN_HEIGHT)
        self.legend_view.setFixedHeight(28)
        self.legend_view.hide()
        self.timeline_plot.setXLink(self.wave_plot)
        self.timeline_plot.scene().sigMouseClicked.connect(self._timeline_clicked)
        self.timeline_plot.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.wave_plot, 3)
        layout.addWidget(self.legend_view)
        layout.addWidget(self.timeline_plot, 1)
        self.samples = np.zeros(0, np.float32)
        self.rate = 16000
        self._peak = 1.0
        # verse mode: per site a shaded span and a label (its word and ✓ ✗ ? ‖), and the outcome
        self.site_markers: list[tuple[pg.LinearRegionItem, pg.TextItem, str]] = []
        self._site_index: dict[object, int] = {}  # live mode: a site's key -> its marker in site_markers
        self._changed_markers: set[int] = set()  # markers of sites whose final verdict differs from the live one
        self.live = False  # showing a recording while it is being made
        self._apply_palette()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        """pyqtgraph draws its own colours: take them from the Qt theme so both themes look right."""
        pal = self.palette()
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        self.legend_view.setBackground(base)
        timeline.colour_legend_text(self.legend, text)
        link = QColor(pal.color(QPalette.ColorRole.Link))
        link.setAlpha(150)
        self.judged.setBrush(link)
        self.judged.setHoverBrush(link)
        for line in self.judged.lines:
            line.setPen(pg.mkPen(pal.color(QPalette.ColorRole.Link), width=1))
        self.judged_label.setColor(text)
        self._style_sites()
        for plot in (self.wave_plot, self.timeline_plot):
            plot.setBackground(base)
            for name in ("left", "bottom"):
                axis = plot.getPlotItem().getAxis(name)
                axis.setPen(text)
                axis.setTextPen(text)
        self.curve.setPen(pg.mkPen(pal.color(QPalette.ColorRole.Highlight), width=1))

    def clear(self) -> None:
        """Nothing shown (a file that could not be opened): no waveform, selection or timeline."""
        self.samples = np.zeros(0, np.float32)
        self.curve.setData([], [])
        self.region.hide()
        self.clear_judged()
        self.clear_sites()
        self.wave_plot.setLimits(xMin=0, xMax=1)  # not the previous file's range
        self.wave_plot.setXRange(0, 1, padding=0.01)
        self.wave_plot.setYRange(-1, 1)
        self.set_playhead(0.0)
        self.clear_timeline()

    def start_live(self, rate: int) -> None:
        """A recording starts: nothing shown yet, no selection; `show_live` draws it as it grows."""
        self.clear()
        self.rate = rate
        self.live = True
        self._peak = LIVE_MIN_PEAK
        self.wave_plot.setLimits(xMin=0, xMax=LIVE_WINDOW_SECONDS)
        self.wave_plot.setXRange(0, LIVE_WINDOW_SECONDS, padding=0)
        self.wave_plot.setYRange(-self._peak, self._peak, padding=0.05)

    def show_live(self, samples: np.ndarray, rate: int) -> None:
        """The recording so far (read, not kept): its last LIVE_WINDOW_SECONDS, the playhead at its
        end. The view grows to that length, then scrolls with the recording; the height grows with
        the loudest sound so far (never shrinks, so the site labels placed stay in view)."""
        n = len(samples)
        duration = n / rate
        first = max(0, n - int((LIVE_WINDOW_SECONDS + 1) * rate))
        t, y = live_envelope(samples, rate, first)
        self.curve.setData(t, y)
        peak = float(np.abs(y).max()) if len(y) else 0.0
        if peak > self._peak:
            self._peak = peak
            self.wave_plot.setYRange(-peak, peak, padding=0.05)
        left = max(0.0, duration - LIVE_WINDOW_SECONDS)
        self.wave_plot.setLimits(xMin=0, xMax=left + LIVE_WINDOW_SECONDS)
        self.wave_plot.setXRange(left, left + LIVE_WINDOW_SECONDS, padding=0)
        self.set_playhead(duration)

    def set_audio(self, samples: np.ndarray, rate: int, keep_sites: bool = False) -> None:
        self.live = False
        self.samples, self.rate = samples, rate
        self.curve.setData(*envelope(samples, rate))
        duration = len(samples) / rate
        # bounds and limits before the region and range: set after, the old (shorter) bounds
        # would clamp the new selection, and a 16 s file opened after a 4 s one was analysed as 0-4 s
        self.wave_plot.setLimits(xMin=0, xMax=max(duration, 0.1))
        self.wave_plot.setXRange(0, duration, padding=0.01)
        peak = float(np.abs(samples).max()) if len(samples) else 1.0
        self.wave_plot.setYRange(-peak, peak)
        with QSignalBlocker(self.region):  # a new recording is not a user's selection: the caller analyses it
            self.region.setBounds((0, duration))
            self.region.setRegion((0, duration))
        self.region.show()
        self._peak = peak
        self.clear_judged()
        if not keep_sites:
            self.clear_sites()
        self.set_playhead(0.0)
        self.clear_timeline()

    def set_judged(self, start: float, end: float) -> None:
        """Mark the span the headline verdict judged (seconds into the recording)."""
        self.judged.setRegion((start, end))
        self.judged.show()
        self.judged_label.setText(f"judged {end - start:.1f} s")
        self.judged_label.setPos(start, self._peak)
        self.judged_label.show()

    def set_sites(self, sites: list[tuple[float, float, str, str]]) -> None:
        """Verse mode: mark each site (start, end, label, outcome): its span shaded in the lower part of
        the plot and a label with its word and sign above it, every other label lower so that
        neighbours do not cover each other. The colour only repeats what the sign says.
        A fifth element, True, marks a site whose final verdict differs from its live one (a dashed
        frame; the label says what live mode said)."""
        self.clear_sites()
        self.clear_judged()
        for i, (start, end, label, outcome, *changed) in enumerate(sites):
            self._add_site(start, end, label, outcome)
            if changed and changed[0]:
                self._changed_markers.add(i)
        self._style_sites()

    def _add_site(self, start: float, end: float, label: str, outcome: str) -> int:
        from .verse_view import quran_font

        i = len(self.site_markers)
        region = pg.LinearRegionItem((start, end), movable=False, span=(0.0, 0.8))
        region.setZValue(5)
        region.setToolTip(f"{label}: {outcome}")
        item = pg.TextItem(label, anchor=(0, 0))
        item.setFont(quran_font(self.font(), 1.15))
        item.setZValue(13)
        item.setPos(start, self._peak * (1.0 if i % 2 == 0 else 0.62))
        self.wave_plot.addItem(region)
        self.wave_plot.addItem(item)
        self.site_markers.append((region, item, outcome))
        return i

    def mark_site(self, key, start: float, end: float, label: str, outcome: str) -> None:
        """Live mode: mark one site as its verdict arrives, or move and relabel its marker when it is
        judged again (the other markers are left as they are: no redrawing of every site)."""
        i = self._site_index.get(key)
        if i is None:
            self._site_index[key] = i = self._add_site(start, end, label, outcome)
        else:
            region, item, _ = self.site_markers[i]
            region.setRegion((start, end))
            region.setToolTip(f"{label}: {outcome}")
            item.setText(label)
            item.setPos(start, item.pos().y())
            self.site_markers[i] = (region, item, outcome)
        self._style_sites(only=i)

    def _style_sites(self, only: int | None = None) -> None:
        if not self.site_markers:
            return
        from PySide6.QtCore import Qt

        from .verse_mode import COLOURS as colours

        pal = self.palette()
        base = QColor(pal.color(QPalette.ColorRole.Base))
        base.setAlpha(215)
        for i, (region, item, outcome) in enumerate(self.site_markers):
            if only is not None and i != only:
                continue
            colour = QColor(*colours.get(outcome, (128, 128, 128)))
            shade = QColor(colour)
            shade.setAlpha(70)
            region.setBrush(shade)
            region.setHoverBrush(shade)
            for line in region.lines:
                line.setPen(pg.mkPen(colour, width=1))
            item.setColor(pal.color(QPalette.ColorRole.Text))
            item.fill = pg.mkBrush(base)
            changed = i in self._changed_markers
            item.border = pg.mkPen(colour, width=2.5 if changed else 1.5,
                                   style=Qt.PenStyle.DashLine if changed else Qt.PenStyle.SolidLine)
            item.update()

    def clear_sites(self) -> None:
        for region, item, _ in self.site_markers:
            self.wave_plot.removeItem(region)
            self.wave_plot.removeItem(item)
        self.site_markers = []
        self._site_index = {}
        self._changed_markers = set()

    def select_span(self, start: float, end: float) -> None:
        """Select a span (a site's) for playback, without asking for it to be analysed, and put the
        playhead at its start."""
        with QSignalBlocker(self.region):
            self.region.setRegion((start, end))
        self.region.show()
        self.set_playhead(start)

    def clear_judged(self) -> None:
        self.judged.hide()
        self.judged_label.hide()

    def judged_span(self) -> tuple[float, float] | None:
        return tuple(float(x) for x in self.judged.getRegion()) if self.judged.isVisible() else None

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    def selection(self) -> tuple[float, float]:
        a, b = self.region.getRegion()
        return float(a), float(b)

    def set_playhead(self, seconds: float) -> None:
        self.playhead.setValue(seconds)

    def _emit_selection(self) -> None:
        self.selection_changed.emit(*self.selection())

    def clear_timeline(self) -> None:
        self.timeline_plot.clear()
        self.legend.clear()
        self.timeline_plot.hide()
        self.legend_view.hide()
        self.wave_plot.setLabel("bottom", "time", units="s")

    def set_timeline(self, labels: list[str], centres: np.ndarray, probs: np.ndarray) -> None:
        """probs (windows, rules) at window centres in seconds."""
        from tajweed_desktop.core.quran.practice import short_name

        self.clear_timeline()
        self.legend.setColumnCount(1)
        stacked = timeline.draw(self.timeline_plot, self.legend, [short_name(x) for x in labels], centres, probs)
        self.timeline_plot.setLabel("left", "p, stacked" if stacked else "p")
        self.timeline_plot.setYRange(0, 1, padding=0.05)
        colour_text = self.palette().color(QPalette.ColorRole.Text)
        timeline.colour_legend_text(self.legend, colour_text)
        # the time axis is named once, under the timeline: the room goes to the plots
        self.wave_plot.setLabel("bottom", None)
        self.wave_plot.getPlotItem().showLabel("bottom", False)
        self._fit_legend()
        self.legend_view.show()
        self.timeline_plot.show()

    def _fit_legend(self) -> None:
        timeline.fit_legend(self.legend, self.legend_view, self.width())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.legend_view.isVisible():
            self._fit_legend()

    def _timeline_clicked(self, event) -> None:
        pos = self.timeline_plot.getPlotItem().vb.mapSceneToView(event.scenePos())
        t = float(np.clip(pos.x(), 0, self.duration))
        self.set_playhead(t)
        self.seek_requested.emit(t)
