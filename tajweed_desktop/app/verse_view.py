"""The verse found in a recording, in the panel: "Which verse?" (the other candidates, or any verse
by number), the verse's text with each site's word marked, and the list of sites. Every outcome
is a sign (✓ ✗ ? ‖ –) and a word beside its colour, never colour alone."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tajweed_desktop.core.quran import text as quran
from tajweed_desktop.core.quran.identify import parse_verse_spec
from tajweed_desktop.core.quran.practice import percent, short_name

from .practice_bar import QURAN_FONTS
from .verse_mode import COLOURS, NOT_RECITED, OUTCOME_WORDS, mark

if TYPE_CHECKING:
    from tajweed_desktop.core.checking.verses import SiteResult, VerseResult
    from tajweed_desktop.core.quran.identify import Identification

SITE_COLUMNS = ["verse:word", "word", "expected", "heard", "confidence", "outcome"]
MAX_TABLE_ROWS = 8  # taller lists scroll inside the table


def quran_font(base: QFont, scale: float = 1.0) -> QFont:
    font = QFont(base)
    font.setFamilies([*QURAN_FONTS, base.family()])
    font.setPointSizeF(base.pointSizeF() * scale)
    return font


def rule_name(label: str | None) -> str:
    return short_name(label) if label else "–"


def site_label(s: SiteResult) -> str:
    """The waveform's label of a site: its Arabic word and the outcome's sign."""
    return f"{s.word} {mark(s.outcome)}"


def verse_html(result: VerseResult) -> str:
    """The verses' text, each site's word in bold, underlined, in its outcome's colour and followed by
    its sign (✓ ✗ ? ‖; – for a site not recited)."""
    al = result.alignment
    return words_html(al.surah, al.first_ayah, al.last_ayah, {(s.ayah, s.site): s.outcome for s in result.sites})


def words_html(surah: int, first: int, last: int, outcomes: dict[tuple[int, int], str],
               current: tuple[int, int] | None = None, current_colours: tuple[str, str] | None = None) -> str:
    """Verses `first` to `last` of `surah`, the words in `outcomes` ((ayah, word) -> outcome) marked
    as `verse_html` marks a site; live mode's word being recited, `current` (ayah, word), on a
    background (`current_colours`: background and text, the palette's highlight)."""
    parts = []
    for ayah in range(first, last + 1):
        n, out = 0, []
        for token in quran.verse_text(surah, ayah).split(" "):
            t = html.escape(token)
            if quran.is_word(token):
                n += 1
                outcome = outcomes.get((ayah, n))
                if outcome is not None:
                    r, g, b = COLOURS.get(outcome, (128, 128, 128))
                    t = (f"<b><u><span style='color: rgb({r},{g},{b})'>{t}</span></u></b>"
                         f"<span style='color: rgb({r},{g},{b})'>&#8239;{mark(outcome)}</span>")
                if current == (ayah, n):
                    back, fore = current_colours or ("#ffe680", "#000000")
                    t = f"<span style='background-color: {back}; color: {fore}'>{t}</span>"
            out.append(t)
        parts.append(" ".join(out) + f" ({ayah})" if last > first else " ".join(out))
    return "<div dir='rtl'>" + " ".join(parts) + "</div>"


def _cell(text: str, tip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if tip:
        item.setToolTip(tip)
    return item


class SiteTable(QTableWidget):
    """One row per site: where, the word and the next, expected, heard, confidence, outcome."""

    def __init__(self, parent=None):
        super().__init__(0, len(SITE_COLUMNS), parent)
        self.setAccessibleName("Sites")
        self.setHorizontalHeaderLabels(SITE_COLUMNS)
        self.verticalHeader().hide()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

    def show_sites(self, sites, live_said: dict[int, str | None] | None = None) -> None:
        """`live_said`: for the rows whose final verdict differs from the live one (by row), what live
        mode said (None: it did not judge the site); the final verdict stands, the live one beside it."""
        live_said = live_said or {}
        self.clearSelection()
        self.setRowCount(0)
        word_font = quran_font(self.font(), 1.2)
        for s in sites:
            p = s.prediction
            row = self.rowCount()
            self.insertRow(row)
            word = _cell(f"{s.word} {s.next_word}", tip=f"word {s.site} and the next word")
            word.setFont(word_font)
            detailed = s.rule.replace("_", " ") if s.rule else ""
            expected = rule_name(s.expected) + (f" ({detailed})" if detailed and s.expected and
                                                 detailed.lower() != short_name(s.expected).lower() else "")
            heard = rule_name(p.top_rule) + ("?" if p.uncertain else "") if p else "–"
            conf = percent(p.confidence) if p else "–"
            tip = OUTCOME_WORDS.get(s.outcome, s.outcome) + (f"; pause {s.pause:.2f} s" if s.pause else "") \
                + (f"; {s.error}" if s.error else "")
            if s.outcome == NOT_RECITED:
                tip = "The recording ends before this site: it is listed, not judged, and not marked on the waveform"
            shown = f"{mark(s.outcome)} {s.outcome}"
            if row in live_said:
                said = live_said[row]
                shown += f"  (live said {mark(said)})" if said else "  (live: not judged)"
                tip = (f"While recording, live mode judged this site {said}" if said else
                       "While recording, live mode did not judge this site") + \
                    f"; the final check of the whole recording judged it {s.outcome}, and that verdict stands. " + tip
            outcome = _cell(shown, tip=tip)
            outcome.setForeground(QBrush(QColor(*COLOURS.get(s.outcome, (128, 128, 128)))))
            if row in live_said:
                font = outcome.font()
                font.setItalic(True)
                outcome.setFont(font)
            for col, item in enumerate([_cell(f"{s.surah}:{s.ayah}:{s.site}"), word, _cell(expected), _cell(heard),
                                        _cell(conf), outcome]):
                self.setItem(row, col, item)
        self.setVisible(bool(sites))
        self.fit()

    def fit(self) -> None:
        """As tall as its rows, up to MAX_TABLE_ROWS (then it scrolls)."""
        self.resizeRowsToContents()
        rows = min(self.rowCount(), MAX_TABLE_ROWS)
        height = self.horizontalHeader().height() + sum(self.rowHeight(r) for r in range(rows))
        self.setFixedHeight(height + 2 * self.frameWidth() + 2)


class VerseBox(QWidget):
    verse_requested = Signal(object)  # (surah, first, last): check the recording against it
    site_selected = Signal(int)  # the index of the site in the result's sites

    def __init__(self, parent=None):
        super().__init__(parent)
        self.result: VerseResult | None = None
        self.which = QComboBox()
        self.which.setEditable(True)
        self.which.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.which.setAccessibleName("Which verse?")
        self.which.setToolTip("The verses the recording sounds most like, best first; or type any verse as "
                              "surah:verse (82:5) or a run of verses (112:1-4) and press Enter")
        self.which.setMinimumContentsLength(16)
        self.which.lineEdit().setPlaceholderText("e.g. 82:5 or 112:1-4")
        self.which.activated.connect(self._chosen)
        self.which.lineEdit().returnPressed.connect(self._typed)
        self.check = QPushButton("Check")
        self.check.setAccessibleName("Check against this verse")
        self.check.setToolTip("Check the recording against the verse named in “Which verse?”")
        self.check.clicked.connect(self._typed)
        self.note = QLabel("")
        self.note.setAccessibleName("Verse note")
        self.note.setWordWrap(True)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel("Which verse?"))
        top.addWidget(self.which)
        top.addWidget(self.check)
        top.addWidget(self.note, 1)
        self.text = QLabel("")
        self.text.setAccessibleName("Verse text, sites marked")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.text.setFont(quran_font(self.font(), 1.5))
        self.table = SiteTable()
        self.table.setToolTip("Click a site to select its span on the waveform; Space plays it")
        self.table.itemSelectionChanged.connect(self._selection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text)
        layout.addWidget(self.table)

    # ---- Which verse? ------------------------------------------------------------------
    def set_candidates(self, identification: Identification | None, current: tuple[int, int, int] | None) -> None:
        """The candidates found from the audio (best first, with their scores); `current` first
        when it is not among them."""
        from tajweed_desktop.core.quran.alignment import verse_label

        # items hold the verse as its label ("82:5", "112:1-4"): a tuple in a QVariant does not compare
        self.which.blockSignals(True)
        self.which.clear()
        seen = set()
        for c in identification.candidates if identification else ():
            score = f"score {c.score:.2f}" if c.score is not None else f"text {c.text_score:.2f}"
            self.which.addItem(f"{c.label}  ({score})", c.label)
            seen.add(c.label)
        key = verse_label(*current) if current is not None else None
        if key is not None and key not in seen:
            self.which.insertItem(0, key, key)
        i = self.which.findData(key) if key is not None else -1
        self.which.setCurrentIndex(i)
        if i < 0:
            self.which.setEditText("")
        self.which.blockSignals(False)

    def _chosen(self, index: int) -> None:
        data = self.which.itemData(index)
        if data is not None:
            self.verse_requested.emit(parse_verse_spec(data))

    def _typed(self) -> None:
        text = self.which.currentText().strip()
        i = self.which.findText(text)
        if i >= 0 and self.which.itemData(i) is not None:
            return self._chosen(i)
        try:
            spec = parse_verse_spec(text.split()[0] if text else "")
        except ValueError as exc:
            self.note.setText(str(exc))
            return
        self.verse_requested.emit(spec)

    # ---- live mode ---------------------------------------------------------------------
    def show_live(self, state) -> None:
        """While recording (a core LiveState): the verse being recited with the sites judged so far
        marked and the word being recited on the highlight colour, and a row per site judged. What
        has not changed since the last state is not rebuilt."""
        from tajweed_desktop.core.quran.alignment import verse_label

        self.result = None
        self.which.setEnabled(False)
        self.check.setEnabled(False)
        label = verse_label(state.surah, state.ayah) if state.surah is not None else ""
        if self.which.currentText() != label:
            self.which.blockSignals(True)
            self.which.clear()
            if label:
                self.which.addItem(label, label)
            self.which.setEditText(label)
            self.which.blockSignals(False)
        if state.surah is None:
            self.text.hide()
        else:
            pal = self.palette()
            colours = (pal.highlight().color().name(), pal.highlightedText().color().name())
            outcomes = {(s.result.ayah, s.result.site): s.result.outcome for s in state.sites
                        if s.result.surah == state.surah}
            current = (state.ayah, state.word) if state.word is not None else None
            html_text = words_html(state.surah, state.ayah, state.ayah, outcomes, current, colours)
            if self.text.text() != html_text:
                self.text.setText(html_text)
            self.text.show()
        rows = tuple((s.key, s.result.outcome, s.revisions) for s in state.sites)
        if rows != self._live_rows:
            self._live_rows = rows
            self.table.blockSignals(True)
            self.table.show_sites([s.result for s in state.sites])
            self.table.blockSignals(False)
            if rows:
                self.table.scrollToBottom()

    _live_rows: tuple = ()

    # ---- the result --------------------------------------------------------------------
    def show_result(self, result: VerseResult, live_said: dict[int, str | None] | None = None) -> None:
        self._live_rows = ()
        self.which.setEnabled(True)
        self.check.setEnabled(True)
        self.result = result
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.setRowCount(0)
        if result.ok and result.alignment is not None:
            self.text.setText(verse_html(result))
            self.text.show()
        else:
            self.text.hide()
        self.table.show_sites(result.sites, live_said)
        self.table.blockSignals(False)

    def select_site(self, index: int) -> None:
        self.table.selectRow(index)

    def selected_site(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _selection(self) -> None:
        i = self.selected_site()
        if i is not None:
            self.site_selected.emit(i)
