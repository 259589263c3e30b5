"""Checking a folder in a worker (with Cancel), expected rules per file, and exporting the rows
the filter shows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from tajweed_desktop.core.audio.files import find_audio_files
from tajweed_desktop.core.quran.practice import read_expected_csv
from tajweed_desktop.core.checking.results import FileResult, with_expected, write_csv
from .batch_view import BatchView
from .settings import AppSettings
from .workers import WorkerSet


def _find_answer_key(folder: Path) -> Path | None:
    """A Kaggle-layout folder (`train/` beside `train.csv`) or a folder holding `expected.csv`
    brings its own expected rules."""
    for candidate in (folder / "expected.csv", folder.parent / f"{folder.name}.csv"):
        if candidate.is_file():
            return candidate
    return None


class BatchController(QObject):
    message = Signal(str, int)  # status bar text, milliseconds
    error = Signal(str, str)  # title, one line
    started = Signal()

    def __init__(self, workers: WorkerSet, view: BatchView, settings: AppSettings, parent: QWidget):
        super().__init__(parent)
        self.workers = workers
        self.view = view
        self.settings = settings
        self.window = parent
        self.ensemble = None
        self.model_loading = False
        self.worker = None
        self.pending_folder: str | None = None
        self.expected_rule: str | None = None  # one rule for every file
        self.expected_table: dict[str, str] | None = None  # per file, from a CSV
        self.expected_source = ""
        self._cancelled = False
        view.cancel_requested.connect(self.cancel)
        view.expected_choice_changed.connect(self._expected_choice)

    def set_ensemble(self, ensemble) -> None:
        self.ensemble = ensemble
        self.model_loading = False
        self.view.set_labels(list(ensemble.labels) if ensemble is not None else [])
        if ensemble is not None and self.pending_folder is not None:
            folder, self.pending_folder = self.pending_folder, None
            self.open_folder(folder)

    def model_failed(self, reason: str) -> None:
        self.model_loading = False
        if self.pending_folder is not None:
            self.pending_folder = None
            self.view.status.setText(f"Cannot check a folder: no model loaded ({reason})")

    # ---- expected rules ----------------------------------------------------------------
    def _expected_choice(self, data) -> None:
        if data == "csv":
            path, _ = QFileDialog.getOpenFileName(self.window, "Expected rules per file",
                                                  self.settings.get("files/last_dir", ""), "CSV (*.csv)")
            if path:
                self.load_expected_csv(path)
            else:
                self.view.show_expected_choice(self.expected_rule)
            return
        self.set_expected_rule(data)

    def set_expected_rule(self, label: str | None) -> None:
        self.expected_rule, self.expected_table, self.expected_source = label, None, ""
        self.view.show_expected_choice(label)

    def load_expected_csv(self, path: str) -> bool:
        try:
            self.expected_table = read_expected_csv(path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self.error.emit("Cannot read expected rules", str(exc))
            return False
        self.expected_rule, self.expected_source = None, path
        self.view.show_expected_choice("csv")
        self.message.emit(f"Expected rules for {len(self.expected_table)} files from {path}", 5000)
        return True

    def _with_expected(self, r: FileResult) -> FileResult:
        return with_expected(r, self.ensemble.labels, self.expected_rule, self.expected_table)

    # ---- running -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.worker is not None

    def open_folder(self, path: str) -> None:
        if self.ensemble is None:
            if self.model_loading:  # e.g. a folder on the command line: it runs once the model is ready
                self.pending_folder = path
                self.started.emit()
                self.view.status.setText(f"Waiting for the model to load before checking {path}…")
                return
            self.error.emit("Cannot check a folder", "no model is loaded")
            return
        if self.worker is not None:
            self.message.emit("A folder is already being checked; cancel it (Esc) first", 5000)
            return
        self.settings.set("files/last_dir", path)
        if self.expected_rule is None and self.expected_source == "" and (key := _find_answer_key(Path(path))):
            self.load_expected_csv(str(key))
        files = find_audio_files([path])
        self.started.emit()
        self.view.start(len(files), list(self.ensemble.labels), root=Path(path))
        self._cancelled = False
        from tajweed_desktop.core.checking.batch import check_files

        self.worker = self.workers.start(check_files, self.ensemble, files, chunk=4,
                                         on_yield=lambda r: self.view.add_result(self._with_expected(r)),
                                         on_finish=self._finished,
                                         on_error=lambda e: self.error.emit("Batch stopped", str(e)))

    def cancel(self) -> bool:
        if self.worker is None:
            return False
        self._cancelled = True
        self.worker.quit()
        return True

    def _finished(self) -> None:
        self.worker = None
        self.view.finish(self._cancelled)

    # ---- export ------------------------------------------------------------------------
    def choose_export(self) -> None:
        if not self.view.results:
            QMessageBox.information(self.window, "Export", "Check a folder first; its results are what gets exported.")
            return
        start = Path(self.settings.get("files/export_dir", "") or self.settings.get("files/last_dir", "") or Path.home())
        path, _ = QFileDialog.getSaveFileName(self.window, "Export results", str(start / "tajweed-results.csv"),
                                              "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> bool:
        """Writes the rows the filter shows (all of them without a filter), in the order checked."""
        rows = self.view.visible_results()
        try:
            write_csv(path, rows, self.view.labels)
        except OSError as exc:
            self.error.emit(f"Cannot write {path}", str(exc.strerror or exc))
            return False
        self.settings.set("files/export_dir", str(Path(path).parent))
        what = f"{len(rows)} of {len(self.view.results)} rows (filter “{self.view.filter.text()}”)" \
            if self.view.filter.text() else f"{len(rows)} rows"
        self.message.emit(f"Exported {what} to {path}", 8000)
        return True
