"""The layout never clips: rule rows keep their full height, the waveform keeps its room with the
14-rule bundle, the timeline legend shows every rule, status messages stay apart from the model."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from tajweed_desktop.app.main_window import WAVEFORM_MIN_HEIGHT
from tajweed_desktop.core.model.paths import bundled_models_dir
from tests.app.conftest import write_voice


def show(window, qtbot, w=1000, h=720):
    window.resize(w, h)
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents()


def rows_whole(window) -> bool:
    return all(name.height() >= name.heightForWidth(name.width()) - 1 for name, _, _ in window.panel.rows.values())


def test_with_the_14_rule_bundle_the_waveform_keeps_its_room_and_no_row_is_cut(make_window, qtbot, tmp_path):
    w = make_window(bundled_models_dir() / "rules14")
    show(w, qtbot)
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=30000)
    w.last_analysis = None
    w.open_file(str(write_voice(tmp_path / "long.wav", 9.0)))
    qtbot.waitUntil(lambda: w.last_analysis is not None and not w.workers.busy, timeout=30000)
    QApplication.processEvents()
    assert len(w.panel.rows) == 14
    assert w.waveform.wave_plot.height() >= WAVEFORM_MIN_HEIGHT * 0.6
    assert rows_whole(w)
    # every rule in the legend, and the legend inside its own strip
    assert len(w.waveform.legend.items) == 14
    assert w.waveform.legend.boundingRect().height() <= w.waveform.legend_view.height() + 1
    assert w.waveform.legend.boundingRect().width() <= w.waveform.legend_view.width() + 1


def test_a_wrapping_verdict_does_not_cut_the_rule_explanations(window, qtbot, tmp_path):
    show(window, qtbot, 800, 600)
    window.open_file(str(tmp_path / "a missing file with a rather long name, to make the message wrap.wav"))
    qtbot.waitUntil(lambda: "Cannot open" in window.panel.verdict.text(), timeout=20000)
    QApplication.processEvents()
    assert window.panel.verdict.height() >= window.panel.verdict.heightForWidth(window.panel.verdict.width()) - 1
    assert rows_whole(window)


def test_timeline_legend_shows_all_four_rules_and_the_axis_three_ticks(window, qtbot, tmp_path):
    show(window, qtbot)
    window.open_file(str(write_voice(tmp_path / "long.wav", 12.0)))
    qtbot.waitUntil(lambda: window.last_analysis is not None and not window.workers.busy, timeout=30000)
    QApplication.processEvents()
    assert [label.text for _, label in window.waveform.legend.items] == ["Idgham", "Ikhfa", "Iqlab", "Izhar"]
    assert window.waveform.legend.boundingRect().height() <= window.waveform.legend_view.height() + 1
    axis = window.waveform.timeline_plot.getPlotItem().getAxis("left")
    assert [v for v, _ in axis._tickLevels[0]] == [0, 0.5, 1]


def test_status_messages_stay_apart_from_the_model_label(window, qtbot):
    show(window, qtbot)
    window.statusBar().showMessage("x" * 400)
    margins = window.device_label.contentsMargins()
    assert margins.left() >= 8 and window.device_label.frameShape() != window.device_label.frameShape().NoFrame


def test_rule_rows_are_as_tall_as_their_text_not_a_guess(qtbot):
    """QLabel's size hint for wrapped text is a narrow, tall guess: in the scroll area each row
    came out about twice as tall as its two lines."""
    from tajweed_desktop.app.rule_panel import RulePanel

    panel = RulePanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 300)
    panel.set_labels(["idgham_bighunnah", "ikhfa", "iqlab", "izhar", "mad_asli", "qalqalah_kubra"])
    panel.show()
    qtbot.waitExposed(panel)
    QApplication.processEvents()
    for name, _, _ in panel.rows.values():
        assert name.heightForWidth(name.width()) - 1 <= name.height() <= name.heightForWidth(name.width()) + 4


def _window_rect(widget, window):
    from PySide6.QtCore import QRect

    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def test_at_1024x700_with_practice_and_the_14_rule_bundle_nothing_overlaps_or_is_cut(make_window, qtbot, tmp_path):
    """A small laptop: the waveform's and timeline's axis labels were cut off, the timeline slid
    under the panel (p = 0.5-1 showing) and the legend of 14 rules took 4 rows."""
    import math

    from PySide6.QtCore import Qt

    w = make_window(bundled_models_dir() / "rules14")
    show(w, qtbot, 1024, 700)
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=30000)
    w.practice.choose_site(82, 1, 3)  # the verse line takes its room too
    w.last_analysis = None
    w.open_file(str(write_voice(tmp_path / "verse.wav", 17.0)))
    qtbot.waitUntil(lambda: w.last_analysis is not None and not w.workers.busy, timeout=60000)
    QApplication.processEvents()
    assert w.size().toTuple() == (1024, 700)
    wf = w.waveform
    parts = [w.practice, wf.wave_plot, wf.legend_view, wf.timeline_plot, w.panel]
    rects = [_window_rect(p, w) for p in parts]
    for above, below, part in zip(rects, rects[1:], parts[1:]):
        assert above.bottom() < below.top(), f"{part.accessibleName() or type(part).__name__} overlaps the part above"
    assert rects[-1].bottom() < w.statusBar().geometry().top()
    for plot in (wf.wave_plot, wf.timeline_plot):  # each plot has the room its axes ask for
        item = plot.getPlotItem()
        assert plot.height() >= item.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            assert item.mapRectToScene(axis.geometry()).bottom() <= plot.height() + 1
    assert wf.timeline_plot.getPlotItem().vb.height() >= 50  # p from 0 to 1, not 0.5-1
    assert wf.timeline_plot.getPlotItem().getAxis("bottom").label.isVisible()  # "time (s)", once
    # the legend: all 14, in as many columns as the width holds (3 rows here, where it had 4)
    assert len(wf.legend.items) == 14 and math.ceil(14 / wf.legend.columnCount) <= 3
    assert wf.legend.boundingRect().height() <= wf.legend_view.height() + 1
    assert w.panel.height() >= 150 and w.panel.verdict.isVisible()


def test_at_1024x700_with_practice_and_the_4_rule_bundle_nothing_overlaps(window, qtbot, tmp_path):
    show(window, qtbot, 1024, 700)
    window.practice.choose_site(82, 1, 3)
    window.open_file(str(write_voice(tmp_path / "verse.wav", 17.0)))
    qtbot.waitUntil(lambda: window.last_analysis is not None and not window.workers.busy, timeout=30000)
    QApplication.processEvents()
    wf = window.waveform
    rects = [_window_rect(p, window) for p in (window.practice, wf.wave_plot, wf.legend_view, wf.timeline_plot, window.panel)]
    assert all(a.bottom() < b.top() for a, b in zip(rects, rects[1:]))
    assert wf.legend.columnCount == 4
