"""The main window: a thin frame over parts that each own one job (in the manner of napari's and
Friture's split of widgets and controllers):

- `AudioToolbar`: recording and playback, devices, level and time readouts;
- `AnalysisController`: opening one recording and analysing it (progress, cancel, log line);
- `BatchController`: checking a folder, expected rules per file, export;
- `Menus`: the menu bar and the settings it changes; `ModelLoader`: the bundle in a worker;
- `PracticeBar`: the rule the learner means to recite;
- `LiveController`: the sites marked while the learner recites (live_mode.py).

The window routes their signals, owns the status bar, drag and drop, and closing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from .analysis_controller import AnalysisController
from .audio_toolbar import AudioToolbar
from .batch_controller import BatchController
from .batch_view import BatchView
from . import verse_mode
from .live_mode import LiveController
from .menus import Menus, about_text
from .model_loader import ModelLoader
from .practice_bar import PracticeBar
from .rule_panel import RulePanel
from .settings import AppSettings
from .waveform_view import WaveformView
from .workers import WorkerSet

if TYPE_CHECKING:
    from tajweed_desktop.core.audio.recording import Recording

WAVEFORM_MIN_HEIGHT = 160
PANEL_MIN_HEIGHT = 150  # the verdict lines and a rule row; the rows scroll
TITLE = "Tajweed Checker"


class MainWindow(QMainWindow):
    model_changed = Signal(bool)  # a model finished loading (True) or failed to (False)

    def __init__(self, settings: AppSettings):
        super().__init__()
        self.settings = settings
        self.workers = WorkerSet()
        self.setWindowTitle(TITLE)
        self.setAcceptDrops(True)

        self.waveform = WaveformView()
        # no fixed minimum: the view's own (the waveform, and the legend and timeline when shown)
        # is what the splitter must keep, or the timeline slid under the panel at 1024x700
        self.panel = RulePanel()
        self.practice = PracticeBar()
        learner = QWidget()
        lay = QVBoxLayout(learner)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.waveform)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([420, 360])
        self.panel.setMinimumHeight(PANEL_MIN_HEIGHT)
        lay.addWidget(self.practice)
        lay.addWidget(splitter, 1)
        self.batch = BatchView()
        self.tabs = QTabWidget()
        self.tabs.addTab(learner, "Recitation")
        self.tabs.addTab(self.batch, "Batch")
        self.setCentralWidget(self.tabs)
        self.device_label = QLabel("model: loading…")
        self.device_label.setFrameShape(QFrame.Shape.StyledPanel)  # kept apart from status messages
        self.device_label.setContentsMargins(8, 0, 8, 0)
        self.live_label = QLabel("")  # live mode's status while recording: "82:19", "finding the verse"…
        self.live_label.setAccessibleName("Live status")
        self.live_label.setContentsMargins(8, 0, 8, 0)
        self.live_label.hide()
        self.statusBar().addPermanentWidget(self.live_label)
        self.statusBar().addPermanentWidget(self.device_label)

        self.toolbar = AudioToolbar(settings, self.waveform, self)
        self.addToolBar(self.toolbar)
        self.analysis = AnalysisController(self.workers, self.waveform, self.panel, self)
        self.analysis.verse_mode = True  # a recording that can hold a verse is checked site by site
        self.batch_controller = BatchController(self.workers, self.batch, settings, self)
        self.menus = Menus(self, settings)
        self.model = ModelLoader(self.workers, self)

        self.live = LiveController(self.workers, self.waveform, self.panel, self.analysis,
                                   ensemble=lambda: self.analysis.ensemble, given=self._practice_verse, parent=self)
        recorder = self.toolbar.recorder
        recorder.audio.connect(self.live.feed)
        # (the toolbar's own slots run first: the saved file starts opening, then live mode ends and
        # hands its last state over before the file has opened)
        recorder.finished.connect(lambda path: self.live.end(path))
        recorder.failed.connect(lambda message, path: self.live.end(path, message))
        self.live.status.connect(self._live_status)
        self.toolbar.recording_saved.connect(self.open_file)
        self.toolbar.recording_failed.connect(lambda _msg, path: self.open_file(path))
        self.toolbar.message.connect(self.statusBar().showMessage)
        self.toolbar.error.connect(self._show_error)
        self.analysis.opened.connect(self._opened)
        self.analysis.cleared.connect(lambda: self.setWindowTitle(TITLE))
        self.analysis.failed.connect(self._show_error)
        self.analysis.note.connect(self.statusBar().showMessage)
        self.practice.expected_changed.connect(self._practice_changed)
        self.batch.open_file_requested.connect(self.open_file)
        self.batch_controller.started.connect(lambda: self.tabs.setCurrentWidget(self.batch))
        self.batch_controller.message.connect(self.statusBar().showMessage)
        self.batch_controller.error.connect(self._show_error)
        self.menus.open_file.connect(self.open_file)
        self.menus.open_folder.connect(self.open_folder)
        self.menus.export.connect(self.batch_controller.choose_export)
        self.menus.model_chosen.connect(self.load_model)
        self.menus.cancel.connect(self.cancel)
        self.model.ready.connect(self._model_ready)
        self.model.failed.connect(self._model_failed)

        geometry = self.settings.get("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1000, 760)
        state = self.settings.get("window/state")
        if state is not None:
            self.restoreState(state)
        self.load_model()

    # ---- what the parts hold, for callers and tests -------------------------------------
    @property
    def ensemble(self):
        return self.model.ensemble

    @property
    def recording(self) -> Recording | None:
        return self.analysis.recording

    @property
    def last_analysis(self):
        return self.analysis.last_analysis

    @last_analysis.setter
    def last_analysis(self, value) -> None:
        self.analysis.last_analysis = value

    @property
    def batch_worker(self):
        return self.batch_controller.worker

    def model_path(self) -> Path:
        return self.menus.model_path()

    def about_text(self) -> str:
        return about_text(self.ensemble)

    # ---- model -------------------------------------------------------------------------
    def load_model(self) -> None:
        self.analysis.set_ensemble(None)
        self.batch_controller.ensemble = None
        self.batch_controller.model_loading = True
        self.device_label.setText("model: loading…")
        self.model.load(self.model_path(), self.settings.device)

    def _model_ready(self, ensemble) -> None:
        note = f" — {ensemble.device_note}" if ensemble.device_note else ""
        self.device_label.setText(f"model: {ensemble.bundle.name} on {ensemble.device.upper()}{note}")
        self.menus.ensemble = ensemble
        self.menus.mark_model()
        self.practice.set_labels(list(ensemble.labels))
        self.analysis.expected = self.practice.expected()
        self.analysis.practice_site = self.practice.chosen_site()
        self.analysis.set_ensemble(ensemble)
        self.batch_controller.set_ensemble(ensemble)
        self.workers.start(verse_mode.warm_up, ensemble)  # the verse index and the transcriber, before any verse
        self.model_changed.emit(True)

    def _model_failed(self, reason: str) -> None:
        self.device_label.setText("model: none")
        self.menus.ensemble = None
        self.panel.show_message(f"No model loaded: {reason}")
        self.batch_controller.model_failed(reason)
        self.model_changed.emit(False)

    def _practice_verse(self) -> tuple[int, int, int] | None:
        """The verse chosen in the Practise box, which live mode checks against (None: found from the audio)."""
        site = self.practice.chosen_site()
        return (site[0], site[1], site[1]) if site is not None else None

    def _live_status(self, text: str) -> None:
        self.live_label.setText(text)
        self.live_label.setVisible(bool(text))

    def _practice_changed(self, label) -> None:
        """The Practise box's word is one of the verse's sites: its verse is the verse checked."""
        self.analysis.set_practice_site(self.practice.chosen_site())
        self.analysis.set_expected(label)

    # ---- opening -----------------------------------------------------------------------
    def open_file(self, path: str) -> None:
        self.tabs.setCurrentIndex(0)
        self.settings.set("files/last_dir", str(Path(path).parent))
        self.analysis.open_file(path)

    def _opened(self, rec) -> None:  # a Recording, or an Unjudged file (shown, no rule)
        self.settings.add_recent(str(rec.path))
        self.menus.fill_recent()
        self.setWindowTitle(f"{rec.path.name} — {TITLE}")

    def open_folder(self, path: str) -> None:
        self.batch_controller.open_folder(path)

    def open_path(self, path: str) -> None:
        (self.open_folder if Path(path).is_dir() else self.open_file)(path)

    def cancel_batch(self) -> None:
        self.batch_controller.cancel()

    def cancel(self) -> None:
        """Esc: the analysis of the recording shown, else the batch."""
        if not self.analysis.cancel():
            self.batch_controller.cancel()

    def export_csv(self, path: str) -> bool:
        return self.batch_controller.export_csv(path)

    # ---- drag and drop -----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_path(paths[0])
            event.acceptProposedAction()

    # ---- misc --------------------------------------------------------------------------
    def _show_error(self, title: str, text: str) -> None:
        self.statusBar().showMessage(f"{title}: {text}", 10000)
        if self.tabs.currentIndex() == 0:
            self.panel.show_message(f"{title}: {text}")

    def closeEvent(self, event) -> None:
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/state", self.saveState())
        self.settings.sync()
        self.toolbar.stop_all()
        self.live.end()
        self.workers.cancel_all()
        self.model.close()
        super().closeEvent(event)
