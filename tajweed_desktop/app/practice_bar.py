"""Practice mode: the learner says which rule they mean to recite, either directly or by picking a
surah, verse and noon sakinah / tanween site in the shipped Quran text, which gives its rule."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QSpinBox, QWidget

from tajweed_desktop.core.quran import text as quran
from tajweed_desktop.core.quran.practice import short_name

from .word_picker import WordPicker

VERSE = "verse"
# fonts that hold the Uthmani script's marks; most desktop fonts lack some (they show as boxes)
QURAN_FONTS = ["Amiri Quran", "Amiri", "Noto Naskh Arabic", "Scheherazade New", "KFGQPC Uthmanic Script HAFS"]


class PracticeBar(QWidget):
    expected_changed = Signal(object)  # the bundle label expected, or None

    def __init__(self, parent=None):
        super().__init__(parent)
        self.labels: list[str] = []
        self.mode = QComboBox()
        self.mode.setAccessibleName("Rule you mean to recite")
        self.mode.setToolTip("Say which rule you mean to recite, and the panel answers whether it heard it")
        self.surah = QSpinBox()
        self.surah.setRange(1, quran.surah_count())
        self.surah.setPrefix("surah ")
        self.surah.setAccessibleName("Surah")
        self.ayah = QSpinBox()
        self.ayah.setPrefix("verse ")
        self.ayah.setAccessibleName("Verse")
        self.site = WordPicker(QURAN_FONTS)
        self.site.setAccessibleName("Word")
        self.site.setMinimumContentsLength(24)
        self.verse = QLabel("")
        self.verse.setAccessibleName("Verse text")
        self.verse.setWordWrap(True)
        self.verse.setTextFormat(Qt.TextFormat.RichText)
        self.verse.setAlignment(Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        font = self.verse.font()
        font.setFamilies([*QURAN_FONTS, font.family()])  # the Uthmani marks (small high sukun, open tanween)
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.verse.setFont(font)
        self.source = QLabel(f"<small>{quran.ATTRIBUTION}</small>")
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 2, 6, 2)
        grid.addWidget(QLabel("Practise:"), 0, 0)
        grid.addWidget(self.mode, 0, 1)
        grid.addWidget(self.surah, 0, 2)
        grid.addWidget(self.ayah, 0, 3)
        grid.addWidget(self.site, 0, 4)
        grid.addWidget(self.source, 0, 5)
        grid.setColumnStretch(6, 1)
        grid.addWidget(self.verse, 1, 0, 1, 7)
        self.mode.currentIndexChanged.connect(self._changed)
        self.surah.valueChanged.connect(self._surah_changed)
        self.ayah.valueChanged.connect(self._verse_changed)
        self.site.currentIndexChanged.connect(self._changed)
        self.set_labels([])

    def set_labels(self, labels: list[str]) -> None:
        self.labels = list(labels)
        current = self.mode.currentData()
        self.mode.blockSignals(True)
        self.mode.clear()
        self.mode.addItem("no rule chosen", None)
        for lab in labels:
            self.mode.addItem(short_name(lab), lab)
        if quran.available():
            self.mode.addItem("a word in a verse…", VERSE)
        self.mode.setCurrentIndex(max(0, self.mode.findData(current)))
        self.mode.blockSignals(False)
        self._surah_changed()

    def choose_rule(self, label: str | None) -> None:
        self.mode.setCurrentIndex(max(0, self.mode.findData(label)))

    def choose_site(self, surah: int, ayah: int, word: int) -> None:
        self.mode.setCurrentIndex(self.mode.findData(VERSE))
        self.surah.setValue(surah)
        self.ayah.setValue(ayah)
        for i in range(self.site.count()):
            if self.site.itemData(i).word == word:
                self.site.setCurrentIndex(i)

    def _surah_changed(self) -> None:
        self.ayah.blockSignals(True)
        self.ayah.setRange(1, quran.verse_count(self.surah.value()))
        self.ayah.blockSignals(False)
        self._verse_changed()

    def _verse_changed(self) -> None:
        if not quran.available():
            return
        self.site.blockSignals(True)
        self.site.clear()
        for s in quran.sites(self.surah.value(), self.ayah.value()):
            rule = quran.expected_label(s, self.labels)
            self.site.add_word_item(f"word {s.word}: ", s.token, f" → {short_name(rule) if rule else s.rule}", s)
        if not self.site.count():
            self.site.addItem("no noon sakinah or tanween here", None)
        self.site.blockSignals(False)
        self._changed()

    def expected(self) -> str | None:
        data = self.mode.currentData()
        if data != VERSE:
            return data
        site = self.site.currentData()
        return quran.expected_label(site, self.labels) if site is not None else None

    def chosen_site(self) -> tuple[int, int, int] | None:
        """(surah, ayah, word) of the word chosen in a verse; None when a rule (or nothing) is chosen."""
        if self.mode.currentData() != VERSE:
            return None
        site = self.site.currentData()
        return (site.surah, site.ayah, site.word) if site is not None else None

    def _changed(self) -> None:
        verse_mode = self.mode.currentData() == VERSE
        for w in (self.surah, self.ayah, self.site, self.verse, self.source):
            w.setVisible(verse_mode)
        if verse_mode:
            self.verse.setText(self._verse_html())
        self.expected_changed.emit(self.expected())

    def _verse_html(self) -> str:
        """The verse, with the site's word (by its number, as the site table counts words) in bold
        and underlined, and the next word, whose first letter decides the rule, underlined."""
        tokens = quran.verse_text(self.surah.value(), self.ayah.value()).split(" ")
        site = self.site.currentData()
        out, n = [], 0
        for token in tokens:
            text = html.escape(token)
            if quran.is_word(token):
                n += 1
                if site is not None and n == site.word:
                    text = f"<b><u>{text}</u></b>"
                elif site is not None and n == site.word + 1 and site.next_token != site.token:
                    text = f"<u>{text}</u>"
            out.append(text)
        return "<div dir='rtl'>" + " ".join(out) + "</div>"
