"""The main window: the learner's view (waveform + rule panel) and the teacher's batch view."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QToolBar,
)

from .. import __version__
from ..core.formats import AUDIO_EXTENSIONS, CLIP_SECONDS
from ..core.errors import TajweedError
from ..core.files import find_audio_files
from ..core.paths import bundled_bundles, default_bundle_path, no_bundle_help
from ..core.results import write_csv
from . import audio_io
from .batch_view import BatchView
from .rule_panel import RulePanel
from .settings import AppSettings
from .themes import apply_theme
from .waveform_view import WaveformView
from . import torch_import
from .workers import WorkerSet

if TYPE_CHECKING:
    from ..core.audio import Recording

OPEN_FILTER = "Audio (" + " ".join(f"*{e}" for e in sorted(AUDIO_EXTENSIONS)) + ");;All files (*)"

# torch is imported by torch_import, on its own thread, while the window comes up; the workers
# that need it wait for that import first.


def _load_recording(path: str) -> Recording:
    torch_import.wait()
    from ..core.audio import load_recording

    return load_recording(path)


def _span(rec: Recording, start: float, end: float) -> Recording:
    """The span prepared exactly as a file of its own would be."""
    from ..core.audio import recording_from_array

    s, e = int(start * rec.sample_rate), int(end * rec.sample_rate)
    return recording_from_array(rec.samples[s:e].numpy(), rec.sample_rate, rec.path)


def _load_ensemble(path: str, device: str):
    torch_import.wait()
    from ..core.ensemble import Ensemble

    ensemble = Ensemble.from_path(path, device=device)
    ensemble.warm_up()
    return ensemble


class MainWindow(QMainWindow):
    model_changed = Signal(bool)  # a model finished loading (True) or failed to (False)

    def __init__(self, settings: AppSettings):
        super().__init__()
        self.settings = settings
        self.workers = WorkerSet()
        self.ensemble = None
        self.recording: Recording | None = None
        self.batch_worker = None
        self._closing = False
        self._model_loading = False
        self._pending_folder: str | None = None
        self.setWindowTitle("Tajweed Checker")
        self.setAcceptDrops(True)

        self.waveform = WaveformView()
        self.panel = RulePanel()
        self.waveform.selection_changed.connect(self._selection_changed)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.waveform)
        splitter.addWidget(self.panel)
        self.batch = BatchView()
        self.batch.open_file_requested.connect(self.open_file)
        self.batch.cancel_requested.connect(self.cancel_batch)
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Recitation")
        self.tabs.addTab(self.batch, "Batch")
        self.setCentralWidget(self.tabs)
        self.device_label = QLabel("model: loading…")
        self.statusBar().addPermanentWidget(self.device_label)
        self.recorder = audio_io.Recorder(self)
        self.player = audio_io.Player(self)
        self._build_audio_toolbar()
        self._build_menus()
        geometry = self.settings.get("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1000, 720)
        state = self.settings.get("window/state")
        if state is not None:
            self.restoreState(state)
        self.load_model()

    # ---- recording and playback ---------------------------------------------------------
    def _build_audio_toolbar(self) -> None:
        bar = QToolBar("Recording and playback")
        bar.setObjectName("audio_toolbar")
        self.addToolBar(bar)
        self.act_record = self._tool_action(bar, "● Record", "Record", "Ctrl+R", self.toggle_recording,
                                            "Record from the microphone (Ctrl+R starts and stops)")
        self.input_combo = self._device_combo(bar, "Input device", audio_io.input_devices(), "audio/input")
        self.level_meter = QProgressBar()
        self.level_meter.setRange(-60, 0)
        self.level_meter.setValue(-60)
        self.level_meter.setFormat("level %v dB")
        self.level_meter.setAccessibleName("Input level")
        self.level_meter.setMaximumWidth(180)
        bar.addWidget(self.level_meter)
        self.elapsed_label = QLabel(" 0.0 s ")
        bar.addWidget(self.elapsed_label)
        bar.addSeparator()
        self.act_play = self._tool_action(bar, "▶ Play", "Play", QKeySequence(Qt.Key.Key_Space), self.toggle_playback,
                                          "Play the selection (Space plays and pauses)")
        self.output_combo = self._device_combo(bar, "Output device", audio_io.output_devices(), "audio/output")
        self.act_rescan = self._tool_action(bar, "⟳ Devices", "Rescan devices", "F5", self.rescan_devices,
                                            "Look again for microphones and speakers (F5), e.g. after plugging one in")
        self.audio_reason = QLabel("")
        bar.addWidget(self.audio_reason)
        self._update_audio_state()
        self.recorder.level.connect(lambda db: self.level_meter.setValue(int(max(-60, min(0, db)))))
        self.recorder.elapsed.connect(lambda s: self.elapsed_label.setText(f" {s:.1f} s "))
        self.recorder.finished.connect(self._recording_done)
        self.recorder.failed.connect(self._recording_failed)
        self.player.position.connect(self.waveform.set_playhead)
        self.player.stopped.connect(lambda: self.act_play.setText("▶ Play"))
        self.waveform.seek_requested.connect(self._seek)

    def _tool_action(self, bar: QToolBar, text: str, name: str, key, slot, tip: str) -> QAction:
        act = QAction(text, self, shortcut=QKeySequence(key), triggered=slot)
        act.setToolTip(tip)
        bar.addAction(act)
        bar.widgetForAction(act).setAccessibleName(name)
        return act

    def _device_combo(self, bar: QToolBar, name: str, devices: list[tuple[int, str]], key: str) -> QComboBox:
        """A device chooser whose choice (by name, as indices change between sessions) persists."""
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setProperty("settings_key", key)
        self._fill_device_combo(combo, devices)
        combo.currentTextChanged.connect(lambda text: self.settings.set(key, text) if text else None)
        bar.addWidget(combo)
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

    def _update_audio_state(self) -> None:
        # from the choosers, which hold the device lists: asking PortAudio again costs a probe
        inputs = [(self.input_combo.itemData(i), self.input_combo.itemText(i)) for i in range(self.input_combo.count())]
        reason = audio_io.recording_unavailable_reason(inputs)
        self.act_record.setEnabled(reason is None or self.recorder.recording)
        self.audio_reason.setText(f"  Recording unavailable: {reason}" if reason else "")
        self.act_play.setEnabled(audio_io.sd is not None and self.output_combo.count() > 0)

    def rescan_devices(self) -> None:
        if self.recorder.recording or self.player.playing:
            self.statusBar().showMessage("Stop recording and playback before looking for devices again", 5000)
            return
        audio_io.rescan_devices()
        self._fill_device_combo(self.input_combo, audio_io.input_devices())
        self._fill_device_combo(self.output_combo, audio_io.output_devices())
        self._update_audio_state()
        self.statusBar().showMessage(f"Found {self.input_combo.count()} input and "
                                     f"{self.output_combo.count()} output devices", 5000)

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
            self._show_error("Cannot record", exc)
            return
        self.act_record.setText("■ Stop")
        self.statusBar().showMessage(f"Recording to {path}")

    def _recording_done(self, path: str) -> None:
        self.act_record.setText("● Record")
        self.level_meter.setValue(-60)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self.open_file(path)

    def _recording_failed(self, message: str, path: str) -> None:
        self.act_record.setText("● Record")
        self._show_error("Recording stopped", TajweedError(f"{message}: {path}"))
        if path and Path(path).stat().st_size > 44:
            self.open_file(path)

    def toggle_playback(self) -> None:
        if self.player.playing:
            self.player.stop()
            return
        if self.recording is None:
            return
        start, end = self.waveform.selection()
        head = float(self.waveform.playhead.value())
        if start <= head < end - 0.05:
            start = head  # resume from where playback paused
        try:
            self.player.play(self.recording.samples.numpy(), self.recording.sample_rate, start, end,
                             self.output_combo.currentData())
        except Exception as exc:  # PortAudio reports a missing or busy output device this way
            self._show_error("Cannot play", exc)
            return
        self.act_play.setText("❚❚ Pause")

    def _seek(self, seconds: float) -> None:
        if self.player.playing:
            self.player.stop()
            self.waveform.set_playhead(seconds)
            self.toggle_playback()

    # ---- menus -------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.act_open = file_menu.addAction("&Open…", QKeySequence.StandardKey.Open, self.choose_file)
        self.act_open_folder = file_menu.addAction("Open &Folder…", QKeySequence("Ctrl+Shift+O"), self.choose_folder)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._fill_recent()
        file_menu.addSeparator()
        self.act_export = file_menu.addAction("&Export Batch CSV…", QKeySequence("Ctrl+E"), self.choose_export)
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence.StandardKey.Quit, self.close)
        self.act_cancel = QAction("Cancel batch", self, shortcut=QKeySequence(Qt.Key.Key_Escape), triggered=self.cancel_batch)
        self.addAction(self.act_cancel)

        settings_menu = self.menuBar().addMenu("&Settings")
        dev_menu = settings_menu.addMenu("&Device")
        self.device_group = QActionGroup(self)
        for name in ("auto", "cpu", "cuda"):
            act = dev_menu.addAction({"auto": "Auto", "cpu": "CPU", "cuda": "CUDA"}[name])
            act.setCheckable(True)
            act.setChecked(self.settings.device == name)
            act.setData(name)
            self.device_group.addAction(act)
        self.device_group.triggered.connect(lambda act: self._set_and_reload("analysis/device", act.data()))
        model_menu = settings_menu.addMenu("&Model")
        for path in bundled_bundles():
            model_menu.addAction(path.name, lambda p=str(path): self._set_and_reload("analysis/model", p))
        model_menu.addAction("Choose Folder…", self.choose_model)
        theme_menu = settings_menu.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        for name in ("system", "light", "dark"):
            act = theme_menu.addAction(name.capitalize())
            act.setCheckable(True)
            act.setChecked(self.settings.theme == name)
            act.setData(name)
            self.theme_group.addAction(act)
        self.theme_group.triggered.connect(self._set_theme)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About", self.show_about)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for f in self.settings.recent_files():
            self.recent_menu.addAction(f, lambda p=f: self.open_file(p))
        self.recent_menu.setEnabled(bool(self.settings.recent_files()))

    def _set_and_reload(self, key: str, value: str) -> None:
        self.settings.set(key, value)
        self.load_model()

    def _set_theme(self, act: QAction) -> None:
        self.settings.set("ui/theme", act.data())
        apply_theme(QApplication.instance(), act.data())

    # ---- model -------------------------------------------------------------------------
    def model_path(self) -> Path:
        return Path(self.settings.model_path) if self.settings.model_path else default_bundle_path()

    def load_model(self) -> None:
        path = self.model_path()
        self._release_ensemble()
        self.device_label.setText("model: loading…")
        if not (path / "model.json").exists():
            self._model_failed(TajweedError(no_bundle_help(path)))
            return
        self._model_loading = True
        self.workers.start(_load_ensemble, str(path), self.settings.device,
                           on_result=self._model_ready, on_error=self._model_failed)

    def _release_ensemble(self) -> None:
        if self.ensemble is not None:  # its threads end once any analysis still running is done
            self.workers.start(self.ensemble.close)
        self.ensemble = None

    def _model_ready(self, ensemble) -> None:
        self._model_loading = False
        if self._closing:  # the window closed while the model loaded
            self.workers.start(ensemble.close)
            return
        self.ensemble = ensemble
        self.panel.set_labels(list(ensemble.labels))
        note = f" — {ensemble.device_note}" if ensemble.device_note else ""
        self.device_label.setText(f"model: {ensemble.bundle.name} on {ensemble.device.type.upper()}{note}")
        if self.recording is not None:
            self.analyse()
        if self._pending_folder is not None:
            folder, self._pending_folder = self._pending_folder, None
            self.open_folder(folder)
        self.model_changed.emit(True)

    def _model_failed(self, exc: Exception) -> None:
        self._model_loading = False
        if self._pending_folder is not None:
            self._pending_folder = None
            self.batch.status.setText(f"Cannot check a folder: no model loaded ({exc})")
        self.device_label.setText("model: none")
        self.panel.show_message(f"No model loaded: {exc}")
        self.model_changed.emit(False)

    # ---- opening -----------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open recitation", self.settings.get("files/last_dir", ""), OPEN_FILTER)
        if path:
            self.open_file(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open folder of recordings", self.settings.get("files/last_dir", ""))
        if path:
            self.open_folder(path)

    def choose_model(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a model bundle folder")
        if path:
            self._set_and_reload("analysis/model", path)

    def open_file(self, path: str) -> None:
        self.tabs.setCurrentIndex(0)
        self.settings.set("files/last_dir", str(Path(path).parent))
        self.panel.show_message(f"Reading {Path(path).name}…")
        self.workers.start(_load_recording, path, on_result=self._opened,
                           on_error=lambda e: self._show_error(f"Cannot open {path}", e))

    def _opened(self, rec: Recording) -> None:
        self.recording = rec
        self.settings.add_recent(str(rec.path))
        self._fill_recent()
        self.setWindowTitle(f"{rec.path.name} — Tajweed Checker")
        self.waveform.set_audio(rec.samples.numpy(), rec.sample_rate)
        self.analyse()

    # ---- analysis ----------------------------------------------------------------------
    def _selection_changed(self, start: float, end: float) -> None:
        if self.recording is not None:
            self.analyse()

    def _analyse_job(self, rec: Recording, start: float, end: float):
        whole = start <= 0.01 and end >= rec.duration - 0.01
        if not whole:
            rec = _span(rec, start, end)
        return self.ensemble.analyse(rec, timeline=whole and rec.duration > CLIP_SECONDS), start, whole

    def analyse(self) -> None:
        if self.ensemble is None or self.recording is None:
            return
        start, end = self.waveform.selection()
        self.panel.show_message("Analysing…")
        self.workers.start(self._analyse_job, self.recording, start, end, on_result=self._analysed,
                           on_error=lambda e: self.panel.show_message(str(e)))

    def _analysed(self, result) -> None:
        analysis, offset, whole = result
        where = "" if whole else f"Selection {offset:.2f}–{offset + analysis.duration:.2f} s."
        self.last_analysis = analysis
        self.panel.show_prediction(analysis.clip, where)
        if analysis.timeline:
            centres = np.array([(t.start + t.end) / 2 for t in analysis.timeline])
            probs = np.stack([t.prediction.probabilities for t in analysis.timeline])
            self.waveform.set_timeline(list(analysis.clip.labels), centres, probs)

    # ---- batch -------------------------------------------------------------------------
    def open_folder(self, path: str) -> None:
        if self.ensemble is None:
            if self._model_loading:  # e.g. a folder on the command line: it runs once the model is ready
                self._pending_folder = path
                self.tabs.setCurrentIndex(1)
                self.batch.status.setText(f"Waiting for the model to load before checking {path}…")
                return
            self._show_error("Cannot check a folder", TajweedError("no model is loaded"))
            return
        if self.batch_worker is not None:
            return
        self.settings.set("files/last_dir", path)
        files = find_audio_files([path])
        self.tabs.setCurrentIndex(1)
        self.batch.start(len(files), list(self.ensemble.labels))
        self._batch_cancelled = False
        from ..core.batch import check_files

        self.batch_worker = self.workers.start(check_files, self.ensemble, files, chunk=4, on_yield=self.batch.add_result,
                                               on_finish=self._batch_finished,
                                               on_error=lambda e: self._show_error("Batch stopped", e))

    def cancel_batch(self) -> None:
        if self.batch_worker is not None:
            self._batch_cancelled = True
            self.batch_worker.quit()

    def _batch_finished(self) -> None:
        self.batch_worker = None
        self.batch.finish(self._batch_cancelled)

    def choose_export(self) -> None:
        if not self.batch.results:
            QMessageBox.information(self, "Export", "Check a folder first; its results are what gets exported.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export results", "tajweed-results.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> bool:
        try:
            write_csv(path, self.batch.results, self.batch.labels)
        except OSError as exc:
            self._show_error(f"Cannot write {path}", exc)
            return False
        self.statusBar().showMessage(f"Exported {len(self.batch.results)} rows to {path}", 5000)
        return True

    # ---- drag and drop -----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_path(paths[0])
            event.acceptProposedAction()

    def open_path(self, path: str) -> None:
        (self.open_folder if Path(path).is_dir() else self.open_file)(path)

    # ---- misc --------------------------------------------------------------------------
    def _show_error(self, title: str, exc: Exception) -> None:
        self.statusBar().showMessage(f"{title}: {exc}", 10000)
        if self.tabs.currentIndex() == 0:
            self.panel.show_message(f"{title}: {exc}")

    def show_about(self) -> None:
        QMessageBox.about(self, "About Tajweed Checker", self.about_text())

    def about_text(self) -> str:
        """The version and the loaded bundle's model card: what it knows and how well it did."""
        card = self.ensemble.bundle.card if self.ensemble else {}
        cv = card.get("cross_validation", {})
        text = (f"<b>Tajweed Checker {__version__}</b><p>Model: {card.get('name', 'none')}<br>"
                f"Rules: {', '.join(card.get('labels', []))}<br>"
                f"Training data: {card.get('training_data', {}).get('source', '–')} "
                f"({card.get('training_data', {}).get('clips', '–')} clips)<br>"
                f"Cross-validation macro-F1: {cv.get('macro_f1_mean', float('nan')):.3f} ± {cv.get('macro_f1_std', float('nan')):.3f} "
                f"({cv.get('strategy', '–')}); voice-only baseline {cv.get('voice_only_baseline_macro_f1_mean', float('nan')):.3f}</p>")
        if self.ensemble:
            text += f"<p>Running on {self.ensemble.device.type.upper()} in {self.ensemble.precision}.</p>"
        return text

    def closeEvent(self, event) -> None:
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/state", self.saveState())
        self.settings.sync()
        self.player.stop()
        self._closing = True
        self.recorder.stop()
        self.workers.cancel_all()
        self._release_ensemble()
        super().closeEvent(event)
