"""The recording and playback toolbar: input and output devices, level meter, elapsed time,
Record (Ctrl+R), Play (Space) of the waveform's selection, and looking for devices again (F5)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QToolBar

from . import audio_io
from .settings import AppSettings
from .waveform_view import WaveformView

IDLE_ELAPSED = " 0.0 s "
WAITING = " starting… "


class AudioToolbar(QToolBar):
    recording_saved = Signal(str)  # path of the finished WAV
    recording_failed = Signal(str, str)  # message, path holding what was recorded ("" if nothing)
    message = Signal(str, int)  # for the status bar: text, milliseconds (0: until replaced)
    error = Signal(str, str)  # title, one line

    def __init__(self, settings: AppSettings, waveform: WaveformView, parent=None):
        super().__init__("Recording and playback", parent)
        self.setObjectName("audio_toolbar")
        self.settings = settings
        self.waveform = waveform
        self.recorder = audio_io.Recorder(self)
        self.player = audio_io.Player(self)
        self.act_record = self._tool_action("● Record", "Record", "Ctrl+R", self.toggle_recording,
                                            "Record from the microphone (Ctrl+R starts and stops)")
        self.input_combo = self._device_combo("Input:", "Input device", audio_io.input_devices(), "audio/input")
        self.level_meter = QProgressBar()
        self.level_meter.setRange(-60, 0)
        self.level_meter.setValue(-60)
        self.level_meter.setFormat("level %v dB")
        self.level_meter.setAccessibleName("Input level")
        self.level_meter.setMaximumWidth(180)
        self.addWidget(self.level_meter)
        self.elapsed_label = QLabel(IDLE_ELAPSED)
        self.elapsed_label.setAccessibleName("Recorded time")
        self.addWidget(self.elapsed_label)
        self.addSeparator()
        self.act_play = self._tool_action("▶ Play", "Play", QKeySequence(Qt.Key.Key_Space), self.toggle_playback,
                                          "Play the selection (Space plays and pauses)")
        self.output_combo = self._device_combo("Output:", "Output device", audio_io.output_devices(), "audio/output")
        self.act_rescan = self._tool_action("⟳ Devices", "Rescan devices", "F5", self.rescan_devices,
                                            "Look again for microphones and speakers (F5), e.g. after plugging one in")
        self.audio_reason = QLabel("")
        self.addWidget(self.audio_reason)
        self._keep_width(self.act_play, ("▶ Play", "❚❚ Pause"))  # or the Output box jumps at each press
        self._keep_width(self.act_record, ("● Record", "■ Stop"))
        self.update_state()
        self.recorder.level.connect(lambda db: self.level_meter.setValue(int(max(-60, min(0, db)))))
        self.recorder.elapsed.connect(lambda s: self.elapsed_label.setText(f" {s:.1f} s "))
        self.recorder.started.connect(self._recording_started)
        self.recorder.finished.connect(self._recording_done)
        self.recorder.failed.connect(self._recording_failed)
        self.player.position.connect(self.waveform.set_playhead)
        self.player.stopped.connect(lambda: self.act_play.setText("▶ Play"))
        self.waveform.seek_requested.connect(self._seek)

    def _tool_action(self, text: str, name: str, key, slot, tip: str) -> QAction:
        act = QAction(text, self, shortcut=QKeySequence(key), triggered=slot)
        act.setToolTip(tip)
        self.addAction(act)
        self.widgetForAction(act).setAccessibleName(name)
        return act

    def _keep_width(self, act: QAction, texts: tuple[str, ...]) -> None:
        """The button as wide as the widest of its texts, whichever it shows."""
        button = self.widgetForAction(act)
        current = act.text()
        widths = []
        for text in texts:
            act.setText(text)
            widths.append(button.sizeHint().width())
        act.setText(current)
        button.setMinimumWidth(max(widths))

    def _device_combo(self, caption: str, name: str, devices: list[tuple[int, str]], key: str) -> QComboBox:
        """A device chooser, captioned, whose choice (by name: indices change between sessions) persists."""
        label = QLabel(f" {caption} ")
        self.addWidget(label)
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setToolTip(name)
        combo.setProperty("settings_key", key)
        label.setBuddy(combo)
        self._fill_device_combo(combo, devices)
        combo.currentTextChanged.connect(lambda text: self.settings.set(key, text) if text else None)
        self.addWidget(combo)
        return combo

    def _fill_device_combo(self, combo: QComboBox, devices: list[tuple[int, str]]) -> None:
        combo.blockSignals(True)
        combo.clear()
        for index, label in devices:
            combo.addItem(label, index)
        i = combo.findText(str(self.settings.get(combo.property("settings_key"), "")))
        if i >= 0:
            combo.setCurrentIndex(i)
        combo.blockSignals(False)

    def update_state(self) -> None:
        # from the choosers, which hold the device lists: asking PortAudio again costs a probe
        inputs = [(self.input_combo.itemData(i), self.input_combo.itemText(i)) for i in range(self.input_combo.count())]
        reason = audio_io.recording_unavailable_reason(inputs)
        self.act_record.setEnabled(reason is None or self.recorder.recording)
        self.audio_reason.setText(f"  Recording unavailable: {reason}" if reason else "")
        self.act_play.setEnabled(audio_io.sd is not None and self.output_combo.count() > 0)

    def rescan_devices(self) -> None:
        if self.recorder.recording or self.player.playing:
            self.message.emit("Stop recording and playback before looking for devices again", 5000)
            return
        audio_io.rescan_devices()
        self._fill_device_combo(self.input_combo, audio_io.input_devices())
        self._fill_device_combo(self.output_combo, audio_io.output_devices())
        self.update_state()
        self.message.emit(f"Found {self.input_combo.count()} input and {self.output_combo.count()} output devices", 5000)

    def recordings_folder(self) -> Path:
        from platformdirs import user_data_path

        default = user_data_path("TajweedDesktop", "Tajweed") / "recordings"
        return Path(self.settings.get("recording/folder", str(default)))

    def toggle_recording(self) -> None:
        if self.recorder.recording:
            self.recorder.stop()
            return
        self.player.stop()
        try:
            path = self.recorder.start(self.recordings_folder(), self.input_combo.currentData())
        except RuntimeError as exc:
            self.error.emit("Cannot record", str(exc))
            return
        self.act_record.setText("■ Stop")
        # not "recording" yet: a device can take seconds to deliver its first samples, and what
        # is said before then is lost (audio_io says where)
        self.elapsed_label.setText(WAITING)
        self.message.emit("Waiting for the microphone to start… recite when this says “Recording”", 0)

    def _recording_started(self, delay: float) -> None:
        self.message.emit(f"Recording to {self.recorder.path}: recite now"
                          + (f" (the microphone took {delay:.1f} s to start)" if delay >= 0.5 else ""), 0)

    def _reset_readouts(self) -> None:
        """After a recording the meter and the clock go back to rest, not the last values."""
        self.act_record.setText("● Record")
        self.level_meter.setValue(-60)
        self.elapsed_label.setText(IDLE_ELAPSED)

    def _recording_done(self, path: str) -> None:
        self._reset_readouts()
        self.message.emit(f"Saved {path}", 5000)
        self.recording_saved.emit(path)

    def _recording_failed(self, message: str, path: str) -> None:
        self._reset_readouts()
        self.error.emit("Recording stopped", f"{message}: {path}")
        if path and Path(path).exists() and Path(path).stat().st_size > 44:
            self.recording_failed.emit(message, path)

    def toggle_playback(self) -> None:
        if self.player.playing:
            self.player.stop()
            return
        if not len(self.waveform.samples):
            return
        start, end = self.waveform.selection()
        head = float(self.waveform.playhead.value())
        if start <= head < end - 0.05:
            start = head  # resume from where playback paused
        try:
            self.player.play(self.waveform.samples, self.waveform.rate, start, end, self.output_combo.currentData())
        except Exception as exc:  # PortAudio reports a missing or busy output device this way
            self.error.emit("Cannot play", str(exc))
            return
        self.act_play.setText("❚❚ Pause")

    def _seek(self, seconds: float) -> None:
        if self.player.playing:
            self.player.stop()
            self.waveform.set_playhead(seconds)
            self.toggle_playback()

    def stop_all(self) -> None:
        self.player.stop()
        self.recorder.stop()
