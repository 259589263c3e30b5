"""The batch table's cells: natural order for file names, sort values, and the filter box that
leaves Ctrl+E to the export."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeySequence, QStandardItem
from PySide6.QtWidgets import QLineEdit

from tajweed_desktop.core.checking.results import FileResult
from tajweed_desktop.core.quran.practice import short_name

EXPORT_KEY = QKeySequence("Ctrl+E")
COL_FILE, COL_DURATION, COL_RULE, COL_CONF, COL_UNCERTAIN, COL_EXPECTED, COL_OUTCOME, COL_ERROR, FIRST_PROB = range(9)


def _item(text: str, sort_value=None, tip: str | None = None) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(text if sort_value is None else sort_value, Qt.ItemDataRole.UserRole)
    if tip:
        item.setToolTip(tip)
    return item


class FilterEdit(QLineEdit):
    """A line edit that leaves the export shortcut to the window (QLineEdit takes Ctrl+E as
    "end of line", so right after filtering Ctrl+E did nothing)."""

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and \
                QKeySequence(event.keyCombination()) == EXPORT_KEY:
            event.ignore()
            return False
        return super().event(event)


def outcome_cells(r: FileResult) -> list[QStandardItem]:
    """The expected and outcome columns of a row."""
    return [_item(short_name(r.expected) if r.expected else ""), _item(r.outcome or "")]
