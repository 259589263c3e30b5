"""The teacher's batch: progress with time left and Cancel, a sortable, filterable table.

File names are shown relative to the folder being checked and sort in natural order (2 before
10); failed rows say so in the result column; the filter says how many rows it shows; with
expected rules the table counts matches. A verse recording's row names the verse found and how many
of its sites were as expected; selecting it lists its sites below the table."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QPalette, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tajweed_desktop.core.audio.files import natural_key
from tajweed_desktop.core.checking.results import FileResult
from tajweed_desktop.core.checking.verses import VerseResult
from tajweed_desktop.core.quran.practice import percent, short_name, tally

from .batch_rows import (
    COL_ERROR,
    COL_EXPECTED,
    COL_FILE,
    COL_OUTCOME,
    FilterEdit,
    _item,
    outcome_cells,
)
from .verse_view import SiteTable

__all__ = ["BatchView", "natural_key"]

EXPECT_TIP = ("The rule each file should show: one for every file, or per file from a CSV (columns file and "
              "expected, or the Kaggle layout's id and label_name). It belongs to the folder it came with or was "
              "chosen for; changing it judges the rows again.")


class BatchView(QWidget):
    open_file_requested = Signal(str)
    cancel_requested = Signal()
    expected_choice_changed = Signal(object)  # None, a label, or "csv" (choose a file)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.results: list[FileResult | VerseResult] = []
        self.labels: list[str] = []
        self.root: Path | None = None
        self.model = QStandardItemModel(0, 0, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # natural file order until the user sorts
        self.table.setAccessibleName("Batch results")
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()  # source row numbers, out of order once sorted: no help
        self.table.doubleClicked.connect(self._double_clicked)
        self.filter = FilterEdit()
        self.filter.setPlaceholderText("Filter rows (file name, rule, error…)")
        self.filter.setAccessibleName("Filter results")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.shown = QLabel("")
        self.shown.setAccessibleName("Rows shown")
        self.expect_combo = QComboBox()
        self.expect_combo.setAccessibleName("Expected rule")
        self.expect_combo.setToolTip(EXPECT_TIP)
        self.expect_combo.activated.connect(lambda i: self.expected_choice_changed.emit(self.expect_combo.itemData(i)))
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Batch progress")
        self.status = QLabel("Open a folder (File ▸ Open Folder, or drop it here) to check every recording in it.")
        self.status.setWordWrap(True)
        self.tally_label = QLabel("")
        self.tally_label.setAccessibleName("Matches")
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel batch")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancel_requested)
        top = QHBoxLayout()
        top.addWidget(self.progress, 1)
        top.addWidget(self.cancel)
        filters = QHBoxLayout()
        filters.addWidget(self.filter, 1)
        filters.addWidget(self.shown)
        filters.addWidget(QLabel("Expected:"))
        filters.addWidget(self.expect_combo)
        self.key_label = QLabel("")
        self.key_label.setAccessibleName("Answer key in force")
        filters.addWidget(self.key_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.tally_label)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        # a verse recording's sites, for the row selected
        self.sites_label = QLabel("")
        self.sites_label.setAccessibleName("Sites of the file selected")
        self.sites = SiteTable()
        self.sites.setAccessibleName("Sites of the file selected")
        self.sites_label.hide()
        self.sites.hide()
        layout.addWidget(self.sites_label)
        layout.addWidget(self.sites)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self._started = 0.0
        self._total = 0
        self._failed, self._outcomes = 0, []
        self.set_labels([])

    def set_labels(self, labels: list[str]) -> None:
        """The expected-rule choices for the loaded bundle."""
        current = self.expect_combo.currentData()
        self.expect_combo.clear()
        self.expect_combo.addItem("none", None)
        self.expect_combo.addItem("per file, from a CSV…", "csv")
        for lab in labels:
            self.expect_combo.addItem(f"{short_name(lab)} for every file", lab)
        i = self.expect_combo.findData(current)
        self.expect_combo.setCurrentIndex(max(i, 0))

    def show_expected_choice(self, data) -> None:
        i = self.expect_combo.findData(data)
        if i >= 0:
            self.expect_combo.setCurrentIndex(i)

    def show_key(self, text: str, tip: str = "") -> None:
        """Which answer key is in force (the file's full path in the tooltip)."""
        self.key_label.setText(f"({text})" if text.startswith("answer key") else "")
        self.key_label.setToolTip(tip)
        self.expect_combo.setToolTip(f"In force: {text}. " + EXPECT_TIP)

    @property
    def total(self) -> int:
        return self._total

    def start(self, total: int, labels: list[str], root: Path | None = None) -> None:
        self.results, self.labels, self.root = [], list(labels), root
        self._failed, self._outcomes = 0, []
        header = self.table.horizontalHeader()
        sort = (header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.model.clear()  # which forgets the sort: the user's is put back below
        self.model.setHorizontalHeaderLabels(
            ["file", "duration (s)", "result", "confidence", "uncertain", "expected", "outcome", "error",
             *[f"p {short_name(x)}" for x in labels]])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self.table.setColumnWidth(COL_FILE, 260)
        self.table.sortByColumn(*sort)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self._started, self._total = time.monotonic(), total
        self.cancel.setEnabled(True)
        self.status.setText(f"0 of {total} checked" + (f" in {root}" if root else ""))
        self.show_sites(None)
        self.tally_label.setText("")
        self._update_columns()
        self._update_shown()

    def display_name(self, path: Path) -> str:
        if self.root is not None:
            try:
                return str(path.relative_to(self.root))
            except ValueError:
                pass
        return str(path)

    def add_result(self, r: FileResult | VerseResult) -> None:
        self.results.append(r)
        name = self.display_name(r.path)
        row = [_item(name, natural_key(name), tip=str(r.path))]
        if isinstance(r, VerseResult):
            row += self._verse_cells(r)
        elif r.analysis is not None:
            c = r.analysis.clip
            rule = short_name(c.top_rule) + ("?" if c.uncertain else "")
            row += [_item(f"{r.analysis.duration:.2f}", r.analysis.duration), _item(rule, c.top_rule),
                    _item(percent(c.confidence), c.confidence),
                    _item("yes" if c.uncertain else "no", int(c.uncertain),
                          tip="; ".join(c.uncertain_reasons) if c.uncertain else None)]
        else:
            failed = _item("failed", "~failed", tip=r.error)
            failed.setForeground(QBrush(self.palette().color(QPalette.ColorRole.Link)))
            font = failed.font()
            font.setBold(True)
            failed.setFont(font)
            row += [_item("", -1.0), failed, _item("", -1.0), _item("")]
        row += outcome_cells(r) if isinstance(r, FileResult) else [_item(""), _item("")]
        error = r.error or ""
        if error.startswith(f"{r.path}: "):  # the file column already names it
            error = error[len(f"{r.path}: "):]
        row.append(_item(error, tip=r.error))
        if isinstance(r, FileResult) and r.analysis is not None:
            row += [_item(f"{p:.3f}", float(p)) for p in r.analysis.clip.probabilities]
        else:
            row += [_item("", -1.0) for _ in self.labels]
        self.model.appendRow(row)
        expected = getattr(r, "expected", None)
        if len(self.results) == 1 or (expected is not None and self.table.isColumnHidden(COL_EXPECTED)):
            self._update_columns()
        done = len(self.results)
        self._failed += not r.ok
        if expected is not None:
            self._outcomes.append(r.outcome)
        self.progress.setValue(done)
        elapsed = time.monotonic() - self._started
        left = elapsed / done * (self._total - done) if done else 0
        self.status.setText(f"{done} of {self._total} checked, {self._failed} failed — about {left:.0f} s left")
        self._update_tally()
        self._update_shown()

    def _verse_cells(self, r: VerseResult) -> list:
        """The verse found and its sites in a line: "82:19 (score 0.04): 3 of 4 sites as expected"."""
        al = r.alignment
        duration = [_item(f"{al.duration:.2f}", al.duration)] if al is not None else [_item("", -1.0)]
        if not r.ok:
            failed = _item("failed", "~failed", tip=r.error)
            failed.setForeground(QBrush(self.palette().color(QPalette.ColorRole.Link)))
            return duration + [failed, _item("", -1.0), _item("")]
        good = sum(s.outcome == "as expected" for s in r.sites)
        text = f"{al.label} (score {al.score:.2f}): " + (f"{good} of {len(r.sites)} sites as expected" if r.sites
                                                           else "no sites")
        tip = "; ".join(f"word {s.site} {s.word}: {s.outcome}" for s in r.sites) or None
        return duration + [_item(text, f"verse {al.surah:03d}{al.first_ayah:03d}", tip=tip), _item("", -1.0), _item("")]

    def _current_changed(self, current, _previous=None) -> None:
        if not current.isValid():
            return self.show_sites(None)
        row = self.proxy.mapToSource(current).row()
        self.show_sites(self.results[row] if 0 <= row < len(self.results) else None)

    def show_sites(self, r) -> None:
        """Below the table: the sites of the verse recording selected (nothing for a clip)."""
        if not isinstance(r, VerseResult) or not r.ok:
            self.sites_label.hide()
            self.sites.hide()
            return
        self.sites_label.setText(f"Sites of {self.display_name(r.path)}, {r.alignment.label} "
                                 "(double-click the row to open it):")
        self.sites_label.show()
        self.sites.show_sites(r.sites)
        self.sites.setVisible(bool(r.sites))

    def _update_columns(self) -> None:
        with_expected = any(getattr(r, "expected", None) is not None for r in self.results)
        self.table.setColumnHidden(COL_EXPECTED, not with_expected)
        self.table.setColumnHidden(COL_OUTCOME, not with_expected)

    def rejudge(self, results: list[FileResult]) -> None:
        """The same files under another answer key: expected and outcome cells, and the count."""
        self.results = list(results)
        self._outcomes = [r.outcome for r in results if getattr(r, "expected", None) is not None]
        for row, r in enumerate(results):
            if isinstance(r, VerseResult):
                continue
            for col, item in zip((COL_EXPECTED, COL_OUTCOME), outcome_cells(r)):
                self.model.setItem(row, col, item)
        self._update_columns()
        self._update_tally()

    def tally_text(self) -> str:
        return tally(self._outcomes).summary() if self._outcomes else ""

    def _update_tally(self) -> None:
        text = self.tally_text()
        self.tally_label.setText(f"Expected rules: {text}." if text else "")

    def finish(self, cancelled: bool) -> None:
        self.cancel.setEnabled(False)
        what = "Cancelled" if cancelled else "Done"
        self.status.setText(f"{what}: {len(self.results)} of {self._total} checked, {self._failed} failed"
                            + (f" in {self.root}." if self.root else "."))
        for col in range(1, self.model.columnCount()):
            if col != COL_ERROR:
                self.table.resizeColumnToContents(col)
        self.table.resizeColumnToContents(COL_ERROR)
        self.table.setColumnWidth(COL_ERROR, min(self.table.columnWidth(COL_ERROR), 320))  # the tooltip has it all

    def _filter_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self._update_shown()

    def _update_shown(self) -> None:
        n, total = self.proxy.rowCount(), self.model.rowCount()
        self.shown.setText(f"showing {n} of {total}" if self.filter.text() else f"{total} rows")

    def visible_results(self) -> list[FileResult | VerseResult]:
        """The results the table shows (the filter's), in the table's order (the user's sort)."""
        return [self.results[self.proxy.mapToSource(self.proxy.index(r, 0)).row()] for r in range(self.proxy.rowCount())]

    def _double_clicked(self, index) -> None:
        src = self.proxy.mapToSource(index)
        path = str(self.results[src.row()].path)
        if Path(path).is_file():
            self.open_file_requested.emit(path)
