"""Checking a folder in a worker (with Cancel), expected rules per file, and exporting the rows
the filter shows. Verse recordings (app/verse_mode.py says which) are checked site by site, as
`tajweed-check --verses` does, and export the checker's site rows."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from tajweed_desktop.core.audio.files import find_audio_files
from tajweed_desktop.core.checking.results import FileResult, write_csv
from tajweed_desktop.core.checking.verses import COLUMNS as SITE_COLUMNS
from tajweed_desktop.core.checking.verses import VerseResult
from tajweed_desktop.core.checking.verses import rows as site_rows
from tajweed_desktop.core.common.atomic import atomic_write_bytes
from tajweed_desktop.core.quran.practice import percent

from .answer_key import AnswerKey, find_answer_key
from .batch_view import BatchView
from .settings import AppSettings
from .verse_mode import MIN_VERSE_SECONDS, named_verse, shared_transcriber
from .workers import WorkerSet

log = logging.getLogger("tajweed_desktop.batch")


def check_folder(ensemble, files: list[Path], chunk: int = 4):
    """A generator worker: a FileResult per clip, a VerseResult per verse recording. A file named
    as a verse (SSSAAA.mp3) is checked in verse mode; any other is checked as a clip first, and one
    long enough to hold a verse (MIN_VERSE_SECONDS) in verse mode too, whose result replaces the
    clip's when a verse is found. Cancel (closing the generator) is seen between files."""
    from tajweed_desktop.core.checking.batch import check_files
    from tajweed_desktop.core.checking.verses import check_verse_file

    named = [f for f in files if named_verse(f) is not None]
    for r in check_files(ensemble, [f for f in files if named_verse(f) is None], chunk=chunk):
        if r.analysis is not None and r.analysis.duration >= MIN_VERSE_SECONDS:
            verse = check_verse_file(ensemble, shared_transcriber(ensemble), r.path)
            if verse.ok:
                yield verse
                continue
        yield r
    for f in named:
        yield check_verse_file(ensemble, shared_transcriber(ensemble), f)


def clip_as_site_row(r: FileResult) -> dict:
    """A clip's row in the verse columns, for a folder that holds both: its verdict as `heard`."""
    row = {k: "" for k in SITE_COLUMNS}
    row["file"] = str(r.path)
    if r.analysis is not None:
        clip = r.analysis.clip
        row.update(heard=clip.top_rule, confidence=round(clip.confidence, 4), uncertain=clip.uncertain)
    row.update(expected=r.expected or "", outcome=r.outcome or "", error=r.error or "")
    return row


def site_csv_bytes(results: list) -> bytes:
    """The checker's verse-mode CSV (core/checking/verses.py COLUMNS), rows in the order given."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SITE_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in results:
        w.writerows(site_rows(r) if isinstance(r, VerseResult) else [clip_as_site_row(r)])
    return buf.getvalue().encode("utf-8-sig")


def log_line(r: FileResult | VerseResult) -> str:
    """`checked <path>: <rule> <p>%`, or its error; with an expected rule, the outcome."""
    if isinstance(r, VerseResult):
        return f"checked {r.path} in verse mode: {r.summary()}"
    if r.analysis is None:
        error = r.error or "failed"
        return f"checked {r.path}: failed: {error[len(f'{r.path}: '):] if error.startswith(f'{r.path}: ') else error}"
    clip = r.analysis.clip
    line = f"checked {r.path}: {clip.top_rule} {percent(clip.confidence)}" + (" (uncertain)" if clip.uncertain else "")
    return line + (f"; expected {r.expected}: {r.outcome}" if r.expected is not None else "")


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
        self.key = AnswerKey()
        self._cancelled = False
        self._started = 0.0
        view.cancel_requested.connect(self.cancel)
        view.expected_choice_changed.connect(self._expected_choice)
        self._show_key()

    def set_ensemble(self, ensemble) -> None:
        self.ensemble = ensemble
        self.model_loading = False
        self.view.set_labels(list(ensemble.labels) if ensemble is not None else [])
        self.view.show_expected_choice(self.key.combo_data())
        if ensemble is not None and self.pending_folder is not None:
            folder, self.pending_folder = self.pending_folder, None
            self.open_folder(folder)

    def model_failed(self, reason: str) -> None:
        self.model_loading = False
        if self.pending_folder is not None:
            self.pending_folder = None
            self.view.status.setText(f"Cannot check a folder: no model loaded ({reason})")

    # ---- expected rules (the answer key) -------------------------------------------------
    @property
    def expected_rule(self) -> str | None:
        return self.key.rule

    @property
    def expected_table(self) -> dict[str, str] | None:
        return self.key.table

    def _expected_choice(self, data) -> None:
        if data == "csv":
            path, _ = QFileDialog.getOpenFileName(self.window, "Expected rules per file",
                                                  self.settings.get("files/last_dir", ""), "CSV (*.csv)")
            if path:
                self.load_expected_csv(path)
            else:
                self.view.show_expected_choice(self.key.combo_data())
            return
        self.set_expected_rule(data)

    def set_expected_rule(self, label: str | None) -> None:
        """One rule for every file (None: no answer key), for the folder shown (or the next one)."""
        self._set_key(AnswerKey(rule=label, folder=self.view.root))

    def load_expected_csv(self, path: str, came_with: Path | None = None) -> bool:
        try:
            key = AnswerKey.from_csv(path, came_with or self.view.root, came_with_folder=came_with is not None)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self.error.emit("Cannot read expected rules", str(exc))
            self.view.show_expected_choice(self.key.combo_data())
            return False
        self._set_key(key)
        self.message.emit(f"Expected rules for {len(key.table)} files from {path}", 5000)
        return True

    def _set_key(self, key: AnswerKey) -> None:
        """Put a key in force; the rows already checked are judged again against it (their
        analyses stay: nothing is analysed again)."""
        self.key = key
        self._show_key()
        if self.view.results and self.ensemble is not None:
            self.view.rejudge([self._with_expected(r) for r in self.view.results])
            log.info("judged %s again against %s: %s", self.view.root, self.key.describe(),
                     self.view.tally_text() or "no expected rules")

    def _show_key(self) -> None:
        self.view.show_expected_choice(self.key.combo_data())
        self.view.show_key(self.key.describe(), str(self.key.path or ""))

    def _key_for(self, folder: Path) -> None:
        """Before checking `folder`: a key of another folder is put aside, and a folder that
        brings its own key gets it when no key was chosen for it."""
        if not self.key.empty and not self.key.belongs_to(folder):
            self.message.emit(f"Not judging {folder.name} against {self.key.describe()}: it belongs to "
                              f"{self.key.folder}", 8000)
            self.key = AnswerKey()
        chose_none = self.key.empty and self.key.folder == folder  # "none" chosen for this very folder
        if self.key.empty and not chose_none and (found := find_answer_key(folder)):
            self.load_expected_csv(str(found), came_with=folder)
        elif self.key.folder is None and not self.key.empty:
            self.key = dataclasses.replace(self.key, folder=folder)
        self._show_key()

    def _with_expected(self, r: FileResult | VerseResult) -> FileResult | VerseResult:
        if isinstance(r, VerseResult):  # each site has its own expected rule, from the text
            return r
        return self.key.judge(r, self.ensemble.labels)

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
        self._key_for(Path(path))
        files = find_audio_files([path])
        self.started.emit()
        self.view.start(len(files), list(self.ensemble.labels), root=Path(path))
        self._cancelled = False
        self._started = time.monotonic()
        self.worker = self.workers.start(check_folder, self.ensemble, files, chunk=4,
                                         on_yield=self._result, on_finish=self._finished,
                                         on_error=lambda e: self.error.emit("Batch stopped", str(e)))

    def _result(self, r: FileResult | VerseResult) -> None:
        r = self._with_expected(r)
        log.info(log_line(r))
        self.view.add_result(r)

    def cancel(self) -> bool:
        if self.worker is None:
            return False
        self._cancelled = True
        self.worker.quit()
        return True

    def _finished(self) -> None:
        self.worker = None
        self.view.finish(self._cancelled)
        results = self.view.results
        failed = sum(not r.ok for r in results)
        log.info("batch %s %s: %d files, %d checked, %d failed; %s; %s; %.1f s",
                 "cancelled" if self._cancelled else "done", self.view.root, self.view.total, len(results) - failed,
                 failed, self.key.describe(), self.view.tally_text() or "no expected rules",
                 time.monotonic() - self._started)

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
        """Writes the rows the table shows (the filter's), in the table's order (the user's sort):
        clips as `tajweed-check` writes them; once the table holds a verse recording, the site rows
        of `tajweed-check --verses` (a clip there gets one row, its verdict as `heard`). Whole or
        nothing (atomic)."""
        rows = self.view.visible_results()
        try:
            if any(isinstance(r, VerseResult) for r in self.view.results):
                atomic_write_bytes(path, site_csv_bytes(rows))
            else:
                write_csv(path, rows, self.view.labels)
        except OSError as exc:
            self.error.emit(f"Cannot write {path}", str(exc.strerror or exc))
            return False
        self.settings.set("files/export_dir", str(Path(path).parent))
        what = f"{len(rows)} of {len(self.view.results)} rows (filter “{self.view.filter.text()}”)" \
            if self.view.filter.text() else f"{len(rows)} rows"
        self.message.emit(f"Exported {what} to {path}", 8000)
        return True
