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
from tajweed_desktop.core.practice import percent, practice_answer
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
    assert "Rule per window:" in detail and len(a.timeline) == 13
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
