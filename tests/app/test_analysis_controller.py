"""The analysis controller on its own: a waveform, a panel and an ensemble, no window."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from tajweed_desktop.app.analysis_controller import AnalysisController
from tajweed_desktop.app.rule_panel import RulePanel
from tajweed_desktop.app.waveform_view import WaveformView
from tajweed_desktop.app.workers import WorkerSet
from tajweed_desktop.core.quran.practice import percent, practice_answer
from tests.app.conftest import write_voice
from tests.conftest import LABELS4


@pytest.fixture
def controller(qtbot, tiny_ensemble):
    waveform, panel = WaveformView(), RulePanel()
    qtbot.addWidget(waveform)
    qtbot.addWidget(panel)
    c = AnalysisController(WorkerSet(), waveform, panel)
    c.set_ensemble(tiny_ensemble)
    yield c
    c.workers.cancel_all()


def open_and_wait(qtbot, c, path):
    c.last_analysis = None
    c.open_file(str(path))
    qtbot.waitUntil(lambda: c.last_analysis is not None and not c.workers.busy, timeout=30000)


def test_a_long_recording_says_which_span_its_headline_judged_and_gives_the_rule_per_window(controller, qtbot, tmp_path):
    open_and_wait(qtbot, controller, write_voice(tmp_path / "long.wav", 16.0))
    a, judged = controller.last_analysis, controller.last_judged
    assert judged.clip_end - judged.clip_start == pytest.approx(4.0, abs=0.01)
    detail = controller.panel.detail.text()
    assert f"Judged {judged.clip_start:.2f}–{judged.clip_end:.2f} s" in detail and "16.0 s recording" in detail
    assert "Rule along the recording:" in detail and len(a.timeline) == 13
    assert controller.waveform.timeline_plot.isVisibleTo(controller.waveform)


def test_one_info_line_per_finished_analysis(controller, qtbot, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="tajweed_desktop.analysis")
    path = write_voice(tmp_path / "clip.wav", 2.5)
    open_and_wait(qtbot, controller, path)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("analysed ")]
    assert len(lines) == 1
    clip = controller.last_analysis.clip
    m = re.fullmatch(rf"analysed {re.escape(str(path))} (\d+\.\d\d)–(\d+\.\d\d) s: (\w+) (\d+\.\d)%( \(uncertain\))?", lines[0])
    assert m, lines[0]
    assert m.group(3) == clip.top_rule and f"{m.group(4)}%" == percent(clip.confidence)
    assert float(m.group(1)) >= 0 and float(m.group(2)) <= 2.5


def test_a_long_recording_shows_progress_and_can_be_cancelled(controller, qtbot, tmp_path):
    path = write_voice(tmp_path / "ten minutes.wav", 90.0)
    controller.open_file(str(path))
    qtbot.waitUntil(lambda: controller.panel.progress_host.isVisibleTo(controller.panel), timeout=30000)
    assert "windows" in controller.panel.progress.format() and controller.panel.progress.maximum() > 80
    assert controller.cancel()
    qtbot.waitUntil(lambda: not controller.workers.busy, timeout=30000)
    assert controller.last_analysis is None and "cancelled" in controller.panel.verdict.text()
    assert not controller.panel.progress_host.isVisibleTo(controller.panel)


def test_an_error_clears_the_previous_clip_and_names_the_file_once(controller, qtbot, tmp_path):
    open_and_wait(qtbot, controller, write_voice(tmp_path / "good.wav", 2.0))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    failures = []
    controller.failed.connect(lambda title, text: failures.append(text))
    controller.open_file(str(bad))
    qtbot.waitUntil(lambda: bool(failures) and not controller.workers.busy, timeout=20000)
    assert controller.recording is None and controller.last_analysis is None
    assert len(controller.waveform.samples) == 0 and not controller.waveform.region.isVisible()
    assert failures[0].count("bad.wav") == 1


def test_practice_answers_only_when_sure(controller, qtbot, tmp_path):
    open_and_wait(qtbot, controller, write_voice(tmp_path / "clip.wav", 2.0))
    clip = controller.last_analysis.clip
    for label in LABELS4:
        controller.set_expected(label)
        text = controller.panel.practice.text()
        assert practice_answer(clip, label)[1:] in text
        if clip.uncertain:
            assert "not yet" not in text and "no judgement" in text
    controller.set_expected(None)
    assert not controller.panel.practice.isVisibleTo(controller.panel)


def test_the_verdict_does_not_repeat_the_fold_agreement(controller, qtbot, tmp_path):
    open_and_wait(qtbot, controller, write_voice(tmp_path / "clip.wav", 2.0))
    text = controller.panel.detail.text()
    assert len(re.findall(r"\d+ of \d+", text)) == 1  # said once, not again as "agreeing: 1 of 5"
    shown = [controller.panel.rows[x][2].text() for x in LABELS4]
    assert not any(s.startswith("100.0%") for s, p in zip(shown, controller.last_analysis.clip.probabilities) if p < 1)
    assert np.isclose(sum(float(s.split("%")[0]) for s in shown), 100, atol=0.5)


def test_a_recording_without_speech_opens_shown_and_playable_with_no_recitation_heard_as_its_verdict(controller, qtbot, tmp_path):
    """A tone or a muted microphone opened as "Cannot open: … no recitation heard" and the window
    was cleared; the x-axis kept the previous file's range."""
    import soundfile as sf

    from tests.conftest import tone

    open_and_wait(qtbot, controller, write_voice(tmp_path / "long.wav", 12.0))
    path = tmp_path / "a tone.wav"
    sf.write(path, tone(440, 2.0, rate=44100, amp=0.3), 44100)
    failures, opened = [], []
    controller.failed.connect(lambda title, text: failures.append(text))
    controller.opened.connect(opened.append)
    controller.open_file(str(path))
    qtbot.waitUntil(lambda: bool(opened) and not controller.workers.busy, timeout=20000)
    assert not failures and opened[0].path == path
    waveform = controller.waveform
    assert len(waveform.samples) == pytest.approx(2.0 * 16000, abs=2) and waveform.rate == 16000
    assert np.abs(waveform.samples).max() > 0.1  # what Space plays: the tone itself
    assert waveform.selection() == pytest.approx((0.0, 2.0), abs=0.01)
    x0, x1 = waveform.wave_plot.getPlotItem().vb.viewRange()[0]
    assert x0 <= 0.05 and 1.9 <= x1 <= 2.2  # not 12 s any more
    assert controller.panel.verdict.text() == "a tone.wav: no recitation heard"
    assert "Space plays it" in controller.panel.detail.text()
    assert controller.recording is None and controller.last_analysis is None
    assert all(number.text() == "–" for _, _, number in controller.panel.rows.values())
    # and a file that cannot be opened at all clears the waveform and its range
    controller.open_file(str(tmp_path / "missing.wav"))
    qtbot.waitUntil(lambda: bool(failures) and not controller.workers.busy, timeout=20000)
    assert len(waveform.samples) == 0
    assert waveform.wave_plot.getPlotItem().vb.viewRange()[0][1] < 1.5


def _analysis(tops: list[str], window: float = 4.0, hop: float = 1.0):
    from tajweed_desktop.core.model.ensemble import Analysis, Prediction, TimelinePoint

    def pred(top):
        probs = np.full(4, 0.1)
        probs[LABELS4.index(top)] = 0.7
        return Prediction(tuple(LABELS4), probs, np.zeros(4), (top,) * 5, 2.0, ())

    points = tuple(TimelinePoint(i * hop, i * hop + window, pred(t)) for i, t in enumerate(tops))
    return Analysis(None, (len(tops) - 1) * hop + window, pred(tops[0]), points)


def test_the_rule_along_the_recording_is_told_in_stretches_that_meet_and_never_overlap():
    """ "Rule per window: 0–5 s Idgham, 2–7 s Izhar, 4–10 s Idgham" overlapped: windows of 4 s
    every second each claimed all of their 4 s."""
    from tajweed_desktop.app.rule_panel import rule_runs, runs_text

    runs = rule_runs(_analysis(["Idgham", "Idgham", "Izhar", "Izhar", "Idgham", "Idgham", "Idgham"]))
    assert [(s, e, r) for s, e, r, _ in runs] == [(0.0, 3.5, "Idgham"), (3.5, 5.5, "Izhar"), (5.5, 10.0, "Idgham")]
    assert all(a[1] == b[0] for a, b in zip(runs, runs[1:]))
    assert runs_text(runs) == "Rule along the recording: 0–3.5 s Idgham, 3.5–5.5 s Izhar, 5.5–10 s Idgham."


def test_a_long_recording_with_many_changes_gets_each_rules_share_not_a_cut_off_list():
    """A 10-minute file ended "… and 181 more"."""
    from tajweed_desktop.app.rule_panel import rule_runs, runs_text

    tops = (["Ikhfa"] * 3 + ["Izhar"] * 2) * 119 + ["Ikhfa"] * 2
    text = runs_text(rule_runs(_analysis(tops)))
    assert "more" not in text and "Ikhfa 60% of the time, Izhar 40% of the time" in text
    assert "in 239 stretches" in text


def test_a_span_shorter_than_4_s_is_not_called_the_middle_4_s_and_is_marked_on_the_waveform(controller, qtbot, tmp_path):
    """ "Judged 0.61–3.99 s, the middle 4 s of the 4.3 s recording": that span is 3.38 s."""
    import soundfile as sf

    from tests.conftest import voice

    path = tmp_path / "padded.wav"
    sf.write(path, np.concatenate([np.zeros(8000, np.float32), voice(3.3, amp=0.3), np.zeros(8000, np.float32)]), 16000)
    open_and_wait(qtbot, controller, path)
    j = controller.last_judged
    assert j.clip_end - j.clip_start < 3.9
    detail = controller.panel.detail.text()
    assert f"Judged {j.clip_start:.2f}–{j.clip_end:.2f} s" in detail and "middle" not in detail
    assert "all the recitation heard in the 4.3 s recording" in detail
    assert controller.waveform.judged_span() == pytest.approx((j.clip_start, j.clip_end), abs=1e-6)
    # a selection: the span is marked where it lies in the recording
    controller.waveform.region.setRegion((0.2, 3.2))
    controller.waveform.region.sigRegionChangeFinished.emit(controller.waveform.region)
    qtbot.waitUntil(lambda: controller.last_judged is not j and not controller.workers.busy, timeout=30000)
    start, end = controller.waveform.judged_span()
    assert 0.2 <= start < end <= 3.2 and "Selection 0.20–3.20 s" in controller.panel.detail.text()


def test_a_long_analysis_says_how_long_is_left():
    from tajweed_desktop.app.rule_panel import RulePanel, time_left

    assert time_left(120, 597, 30.0) == "about 2 min left"
    assert time_left(50, 100, 20.0) == "about 20 s left"
    assert time_left(0, 597, 0.0) == ""
    panel = RulePanel()
    panel.show_progress(120, 597, 30.0)
    assert panel.progress.format() == "Analysing: 120 of 597 windows, about 2 min left"
    panel.deleteLater()


def test_a_long_timeline_is_drawn_as_stacked_bands_and_a_short_one_as_lines(qtbot):
    import pyqtgraph as pg

    waveform = WaveformView()
    qtbot.addWidget(waveform)
    rng = np.random.default_rng(0)
    for windows, bands in ((12, 0), (597, 4)):
        probs = rng.dirichlet(np.ones(4), windows)
        waveform.set_timeline(LABELS4, np.arange(windows) + 2.0, probs)
        items = waveform.timeline_plot.getPlotItem().items
        assert sum(isinstance(i, pg.FillBetweenItem) for i in items) == bands
        assert len(waveform.legend.items) == 4
