"""The teacher's batch: progress with time left and Cancel, a sortable, filterable table."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.results import FileResult


def _item(text: str, sort_value=None) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(text if sort_value is None else sort_value, Qt.ItemDataRole.UserRole)
    return item


class BatchView(QWidget):
    open_file_requested = Signal(str)
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.results: list[FileResult] = []
        self.labels: list[str] = []
        self.model = QStandardItemModel(0, 0, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # rows in file order until the user sorts
        self.table.setAccessibleName("Batch results")
        self.table.doubleClicked.connect(self._double_clicked)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter rows (file name, rule, error…)")
        self.filter.setAccessibleName("Filter results")
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Batch progress")
        self.status = QLabel("Open a folder (File ▸ Open Folder, or drop it here) to check every recording in it.")
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel batch")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancel_requested)
        top = QHBoxLayout()
        top.addWidget(self.progress, 1)
        top.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        self._started = 0.0
        self._total = 0

    def start(self, total: int, labels: list[str]) -> None:
        self.results, self.labels = [], list(labels)
        self.model.clear()
        self.model.setHorizontalHeaderLabels(
            ["file", "duration (s)", "predicted rule", "confidence", "uncertain", *[f"p_{x}" for x in labels], "error"])
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self._started, self._total = time.monotonic(), total
        self.cancel.setEnabled(True)
        self.status.setText(f"0 of {total} checked")

    def add_result(self, r: FileResult) -> None:
        self.results.append(r)
        row = [_item(str(r.path))]
        if r.analysis is not None:
            c = r.analysis.clip
            row += [_item(f"{r.analysis.duration:.2f}", r.analysis.duration), _item(c.top_rule),
                    _item(f"{c.confidence:.1%}", c.confidence), _item("yes" if c.uncertain else "no")]
            row += [_item(f"{p:.3f}", float(p)) for p in c.probabilities]
            row.append(_item(""))
        else:
            row += [_item("", -1.0), _item(""), _item("", -1.0), _item("")] + [_item("", -1.0) for _ in self.labels]
            row.append(_item(r.error or ""))
        self.model.appendRow(row)
        done = len(self.results)
        self.progress.setValue(done)
        elapsed = time.monotonic() - self._started
        left = elapsed / done * (self._total - done) if done else 0
        failed = sum(not x.ok for x in self.results)
        self.status.setText(f"{done} of {self._total} checked, {failed} failed — about {left:.0f} s left")

    def finish(self, cancelled: bool) -> None:
        self.cancel.setEnabled(False)
        failed = sum(not x.ok for x in self.results)
        what = "Cancelled" if cancelled else "Done"
        self.status.setText(f"{what}: {len(self.results)} of {self._total} checked, {failed} failed.")
        self.table.resizeColumnsToContents()

    def _double_clicked(self, index) -> None:
        src = self.proxy.mapToSource(index)
        path = self.model.item(src.row(), 0).text()
        if Path(path).is_file():
            self.open_file_requested.emit(path)
