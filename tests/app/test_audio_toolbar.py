"""The recording and playback toolbar on its own (no window, no sound device needed)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from tajweed_desktop.app import audio_io
from tajweed_desktop.app.audio_toolbar import IDLE_ELAPSED, AudioToolbar
from tajweed_desktop.app.settings import AppSettings
from tajweed_desktop.app.waveform_view import WaveformView


@pytest.fixture
def toolbar(qtbot, tmp_path):
    waveform = WaveformView()
    qtbot.addWidget(waveform)
    bar = AudioToolbar(AppSettings(tmp_path / "s.ini"), waveform)
    qtbot.addWidget(bar)
    return bar


def test_readouts_go_back_to_rest_after_a_recording(toolbar, qtbot, tmp_path):
    toolbar.recorder.level.emit(-8.0)
    toolbar.recorder.elapsed.emit(3.25)
    assert toolbar.elapsed_label.text() == " 3.2 s " and toolbar.level_meter.value() == -8
    saved = []
    toolbar.recording_saved.connect(saved.append)
    toolbar.recorder.finished.emit(str(tmp_path / "r.wav"))
    assert toolbar.elapsed_label.text() == IDLE_ELAPSED and toolbar.level_meter.value() == -60
    assert saved == [str(tmp_path / "r.wav")]
    toolbar.recorder.elapsed.emit(1.0)
    toolbar.recorder.failed.emit("the input device stopped", "")
    assert toolbar.elapsed_label.text() == IDLE_ELAPSED


def test_the_device_boxes_are_captioned_input_and_output(toolbar):
    captions = {label.buddy(): label.text().strip() for label in toolbar.findChildren(QLabel) if label.buddy()}
    assert captions[toolbar.input_combo] == "Input:" and captions[toolbar.output_combo] == "Output:"


def test_space_plays_nothing_when_nothing_is_shown(toolbar, monkeypatch):
    played = []
    monkeypatch.setattr(toolbar.player, "play", lambda *a: played.append(a))
    toolbar.waveform.set_audio(np.zeros(16000, np.float32) + 0.1, 16000)
    toolbar.waveform.clear()
    toolbar.toggle_playback()
    assert played == []
    toolbar.waveform.set_audio(np.zeros(16000, np.float32) + 0.1, 16000)
    toolbar.toggle_playback()
    assert len(played) == 1


def test_without_portaudio_recording_says_why(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(audio_io, "sd", None)
    monkeypatch.setattr(audio_io, "UNAVAILABLE_REASON", "PortAudio is not installed (test)")
    waveform = WaveformView()
    qtbot.addWidget(waveform)
    bar = AudioToolbar(AppSettings(tmp_path / "s.ini"), waveform)
    qtbot.addWidget(bar)
    assert not bar.act_record.isEnabled() and "PortAudio is not installed" in bar.audio_reason.text()
    errors = []
    bar.error.connect(lambda title, text: errors.append(title))
    bar.toggle_recording()
    assert errors == ["Cannot record"]


def test_play_and_pause_keep_one_width_so_the_output_box_stays_put(toolbar, qtbot):
    """The Play/Pause button changed width and the Output box jumped."""
    from PySide6.QtWidgets import QApplication

    toolbar.resize(1024, 40)
    toolbar.show()
    qtbot.waitExposed(toolbar)
    button = toolbar.widgetForAction(toolbar.act_play)
    where = []
    for text in ("▶ Play", "❚❚ Pause", "▶ Play"):
        toolbar.act_play.setText(text)
        QApplication.processEvents()
        toolbar.layout().activate()
        where.append((button.width(), toolbar.output_combo.x()))
    assert where[0] == where[1] == where[2]
    # and the record button likewise (● Record / ■ Stop)
    record = toolbar.widgetForAction(toolbar.act_record)
    widths = []
    for text in ("● Record", "■ Stop"):
        toolbar.act_record.setText(text)
        QApplication.processEvents()
        toolbar.layout().activate()
        widths.append(record.width())
    assert widths[0] == widths[1]
