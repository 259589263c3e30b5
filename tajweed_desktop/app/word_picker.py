"""The word picker of the Practise box: "word 3: ٱنفَطَرَتۡ → Ikhfa", its Latin text in the window's
font and only the Arabic word in a font that holds the Uthmani marks (set on the whole box, a
font such as Amiri drew the Latin text with serifs)."""

from __future__ import annotations

import html

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QPalette, QTextDocument
from PySide6.QtWidgets import QComboBox, QStyle, QStyledItemDelegate, QStyleOptionComboBox, QStylePainter

ARABIC_ROLE = Qt.ItemDataRole.UserRole + 1  # (before, arabic, after): the parts of an item's text


def item_html(parts: tuple[str, str, str], quran_fonts: list[str]) -> str:
    before, arabic, after = (html.escape(p) for p in parts)
    families = ", ".join(f"'{f}'" for f in quran_fonts)
    return f"{before}<span style=\"font-family: {families}\">{arabic}</span>{after}"


class _Document(QTextDocument):
    def __init__(self, text: str, font, colour):
        super().__init__()
        self.setDefaultFont(font)
        self.setDocumentMargin(0)
        self.setDefaultStyleSheet(f"body {{ color: {colour.name()}; }}")
        self.setHtml(f"<body>{text}</body>")


def _draw(painter, doc: _Document, rect, colour) -> None:
    painter.save()
    painter.translate(rect.left(), rect.top() + max(0.0, (rect.height() - doc.size().height()) / 2))
    painter.setClipRect(QRectF(0, 0, rect.width(), rect.height()))
    context = QAbstractTextDocumentLayout.PaintContext()
    context.palette.setColor(QPalette.ColorRole.Text, colour)
    doc.documentLayout().draw(painter, context)
    painter.restore()


class _Delegate(QStyledItemDelegate):
    def __init__(self, combo: WordPicker):
        super().__init__(combo)
        self.combo = combo

    def paint(self, painter, option, index) -> None:
        parts = index.data(ARABIC_ROLE)
        if parts is None:
            return super().paint(painter, option, index)
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else self.combo.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        selected = option.state & QStyle.StateFlag.State_Selected
        colour = option.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        doc = self.combo.document(parts, colour)
        _draw(painter, doc, QRectF(option.rect).adjusted(4, 0, -4, 0), colour)

    def sizeHint(self, option, index) -> QSize:
        parts = index.data(ARABIC_ROLE)
        hint = super().sizeHint(option, index)
        if parts is None:
            return hint
        size = self.combo.document(parts, self.combo.palette().color(QPalette.ColorRole.Text)).size()
        return QSize(int(size.width()) + 8, max(hint.height(), int(size.height()) + 4))


class WordPicker(QComboBox):
    """A combo box whose items may hold an Arabic word drawn in `quran_fonts`."""

    def __init__(self, quran_fonts: list[str], parent=None):
        super().__init__(parent)
        self.quran_fonts = list(quran_fonts)
        self.setItemDelegate(_Delegate(self))

    def add_word_item(self, before: str, arabic: str, after: str, data) -> None:
        self.addItem(before + arabic + after, data)  # the plain text: accessibility, tests, key search
        self.setItemData(self.count() - 1, (before, arabic, after), ARABIC_ROLE)
        self.updateGeometry()  # QComboBox sizes itself once, on first show: the Arabic may be taller

    def document(self, parts: tuple[str, str, str], colour) -> _Document:
        return _Document(item_html(parts, self.quran_fonts), self.font(), colour)

    def current_html(self) -> str | None:
        parts = self.currentData(ARABIC_ROLE)
        return None if parts is None else item_html(parts, self.quran_fonts)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        heights = [self.document(self.itemData(i, ARABIC_ROLE), self.palette().color(QPalette.ColorRole.Text)).size().height()
                   for i in range(self.count()) if self.itemData(i, ARABIC_ROLE) is not None]
        return QSize(hint.width(), max([hint.height(), *(int(h) + 8 for h in heights)]))

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())

    def paintEvent(self, event) -> None:
        parts = self.currentData(ARABIC_ROLE)
        if parts is None:
            return super().paintEvent(event)
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        option.currentText = ""
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        colour = self.palette().color(QPalette.ColorRole.ButtonText)
        _draw(painter, self.document(parts, colour), QRectF(field).adjusted(2, 0, 0, 0), colour)
