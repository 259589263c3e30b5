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
