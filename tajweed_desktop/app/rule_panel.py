"""Per-rule probabilities with names, explanations, fold agreement and an explicit verdict; the
practice answer when the learner said which rule they meant; progress and Cancel while a long
recording is analysed. Text and numbers always stand beside the bars: never colour alone.

The verdict lines stay at the top and the rule rows scroll beneath them, so a verdict that wraps
(a long error) or a 14-rule bundle never cuts a row in half or squeezes the waveform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from tajweed_desktop.core.quran.practice import outcome, percent, practice_answer, short_name
from tajweed_desktop.core.quran.rules import rule_info

from .verse_view import VerseBox

if TYPE_CHECKING:
    from tajweed_desktop.core.model.ensemble import Analysis
    from tajweed_desktop.core.checking.progressive import Judged

MAX_RUNS_SHOWN = 12


def rule_runs(analysis: Analysis) -> list[tuple[float, float, str, bool]]:
    """The timeline as stretches of the recording with the same top rule: (start, end, rule, all
    uncertain). Windows overlap (4 s every second), so each is given the time nearest its centre:
    the stretches meet and never overlap ("0–5 s Idgham, 2–7 s Izhar" said the old list)."""
    points = analysis.timeline
    if not points:
        return []
    centres = [(t.start + t.end) / 2 for t in points]
    bounds = [points[0].start] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [points[-1].end]
    runs: list[list] = []
    for i, t in enumerate(points):
        p = t.prediction
        if runs and runs[-1][2] == p.top_rule:
            runs[-1][1] = bounds[i + 1]
            runs[-1][3] = runs[-1][3] and p.uncertain
        else:
            runs.append([bounds[i], bounds[i + 1], p.top_rule, p.uncertain])
    return [tuple(r) for r in runs]


def seconds(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def runs_text(runs: list[tuple[float, float, str, bool]]) -> str:
    """The rule along the recording: each stretch, or for a long recording with many changes the
    share of the time each rule holds (the timeline shows where)."""
    if len(runs) <= MAX_RUNS_SHOWN:
        return "Rule along the recording: " + ", ".join(
            f"{seconds(s)}–{seconds(e)} s {short_name(rule)}{' (uncertain)' if unsure else ''}"
            for s, e, rule, unsure in runs) + "."
    held: dict[str, float] = {}
    for s, e, rule, _ in runs:
        held[rule] = held.get(rule, 0.0) + e - s
    total = sum(held.values())
    shares = sorted(held.items(), key=lambda kv: -kv[1])
    return ("Rule along the recording: " + ", ".join(f"{short_name(r)} {t / total:.0%} of the time" for r, t in shares)
            + f", in {len(runs)} stretches; the timeline shows where.")


def time_left(done: int, total: int, elapsed: float) -> str:
    """ "about 2 min left" from the pace so far ("" until there is a pace to go by)."""
    if done <= 0 or elapsed <= 0 or done >= total:
        return ""
    left = elapsed / done * (total - done)
    if left >= 90:
        return f"about {left / 60:.0f} min left"
    return f"about {max(5, round(left / 5) * 5):.0f} s left"


class WrapLabel(QLabel):
    """A word-wrapped label whose size hint is its height at its actual width. A scroll area sizes
    its content by size hints, and QLabel's hint for wrapped text is a narrow, tall guess: the rule
    rows came out twice as tall as their text."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._hinted_width = -1

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        if self.width() > 0:
            hint.setHeight(self.heightForWidth(self.width()))
        return hint

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != self._hinted_width:
            self._hinted_width = event.size().width()
            self.updateGeometry()


class RulePanel(QWidget):
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.verdict = WrapLabel("Open or record a recitation to check it.")
        self.verdict.setAccessibleName("Verdict")
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.verdict.setFont(font)
        self.practice = WrapLabel("")
        self.practice.setAccessibleName("Practice answer")
        pfont = self.practice.font()
        pfont.setPointSizeF(pfont.pointSizeF() * 1.15)
        self.practice.setFont(pfont)
        self.practice.hide()
        self.detail = WrapLabel("")
        self.detail.setAccessibleName("Verdict details")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Analysis progress")
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel analysis")
        self.cancel.setToolTip("Stop analysing this recording (Esc)")
        self.cancel.clicked.connect(self.cancel_requested)
        progress_row = QHBoxLayout()
        progress_row.setContentsMargins(0, 0, 0, 0)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel)
        self.progress_host = QWidget()
        self.progress_host.setLayout(progress_row)
        self.progress_host.hide()

        self.grid_host = QFrame()
        self.grid = QGridLayout()
        self.grid.setVerticalSpacing(8)
        # everything but the progress row scrolls: a verdict that wraps or 14 rule rows get the
        # height they need instead of being squeezed or cut
        content = QVBoxLayout(self.grid_host)
        content.addWidget(self.verdict)
        content.addWidget(self.practice)
        content.addWidget(self.detail)
        self.verse = VerseBox()  # verse mode: which verse, its text with the sites marked, the sites
        self.verse.hide()
        content.addWidget(self.verse)
        self.grid_caption = QLabel("")  # verse mode: whose probabilities the rule rows show
        self.grid_caption.setAccessibleName("Rule rows show")
        self.grid_caption.hide()
        content.addWidget(self.grid_caption)
        content.addLayout(self.grid)
        content.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.grid_host)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress_host)
        layout.addWidget(self.scroll, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.rows: dict[str, tuple[QLabel, QProgressBar, QLabel]] = {}

    def set_labels(self, labels: list[str]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.rows.clear()
        for r, label in enumerate(labels):
            info = rule_info(label)
            # rows get their full height (they scroll): squeezed, the dots under ي were clipped
            name = WrapLabel(f"<b>{info.english}</b> &nbsp;<span dir='rtl'>{info.arabic}</span>"
                          f"<br><small>{info.explanation}</small>")
            name.setTextFormat(Qt.TextFormat.RichText)
            name.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(False)
            bar.setAccessibleName(f"Probability of {info.english}")
            number = QLabel("–")
            number.setMinimumWidth(110)
            self.grid.addWidget(name, r, 0)
            self.grid.addWidget(bar, r, 1)
            self.grid.addWidget(number, r, 2)
            self.rows[label] = (name, bar, number)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(1, 2)

    def show_prediction(self, judged: Judged, where: str = "", expected: str | None = None) -> None:
        self.progress_host.hide()
        analysis = judged.analysis
        p = analysis.clip
        top = short_name(p.top_rule)
        if p.uncertain:
            self.verdict.setText(f"Uncertain — best guess {top} ({percent(p.confidence)})")
            details = ["Why uncertain: " + "; ".join(p.uncertain_reasons) + "."]
        else:
            self.verdict.setText(f"{top} — {percent(p.confidence)}")
            votes = p.fold_votes.count(p.top_rule)
            details = [f"{votes} of {len(p.fold_votes)} fold models agree."]
        if where:
            details.append(where)
        runs = rule_runs(analysis)
        if runs:
            details.append(runs_text(runs))
        self.detail.setText(" ".join(details))
        if expected is not None:
            result = outcome(p, expected)
            mark = {"match": "✓ ", "not yet": "✗ ", "uncertain": "? "}[result]
            self.practice.setText(mark + practice_answer(p, expected)[0].upper() + practice_answer(p, expected)[1:])
            self.practice.setProperty("outcome", result)
            self.practice.show()
        else:
            self.practice.hide()
        for label, prob, spread in zip(p.labels, p.probabilities, p.spread):
            _, bar, number = self.rows[label]
            bar.setValue(int(round(prob * 1000)))
            number.setText(f"{percent(prob)} ± {spread:.1%}")

    def show_verse(self, verdict: str, detail: str, practice: str | None = None, practice_outcome: str = "") -> None:
        """Verse mode: the verse found and its sites (the verse box, filled by the caller); the rule
        rows show the probabilities of the site selected in the list."""
        self.show_message(verdict)
        self.detail.setText(detail)
        if practice:
            self.practice.setText(practice)
            self.practice.setProperty("outcome", practice_outcome)
            self.practice.show()
        self.verse.show()

    def show_live(self, verdict: str, detail: str) -> None:
        """While recording (live mode): what is heard so far; the verse box, filled by the caller."""
        self.progress_host.hide()
        self.practice.hide()
        self.grid_caption.hide()
        if self.verdict.text() != verdict:
            self.verdict.setText(verdict)
        if self.detail.text() != detail:
            self.detail.setText(detail)
        self.verse.show()

    def show_site(self, prediction, caption: str = "") -> None:
        """The rule rows for one site's clip (None: a site that was not judged)."""
        self.grid_caption.setText(caption)
        self.grid_caption.setVisible(bool(caption))
        for label, (_, bar, number) in self.rows.items():
            if prediction is None or label not in prediction.labels:
                bar.setValue(0)
                number.setText("–")
                continue
            i = list(prediction.labels).index(label)
            bar.setValue(int(round(prediction.probabilities[i] * 1000)))
            number.setText(f"{percent(prediction.probabilities[i])} ± {prediction.spread[i]:.1%}")

    def show_steps(self, text: str) -> None:
        """Work of a few long steps (verse mode): what is being done, a busy bar and Cancel."""
        self.show_message(text)
        self.progress.setRange(0, 0)
        self.progress.setFormat("")
        self.progress_host.show()

    def show_unjudged(self, name: str, reason: str, detail: str | None) -> None:
        """A recording that opened but gets no rule: the reason is the verdict."""
        self.show_message(f"{name}: {reason}")
        self.detail.setText((f"{detail[:1].upper() + detail[1:]}. " if detail else "")
                            + "No rule is judged; the waveform is shown and Space plays it.")

    def show_busy(self, text: str) -> None:
        self.show_message(text)

    def show_progress(self, done: int, total: int, elapsed: float = 0.0) -> None:
        """Shown only for work of more than a few inputs (a long recording's timeline), with the
        time left at the pace so far."""
        if total <= 8:
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        left = time_left(done, total, elapsed)
        self.progress.setFormat(f"Analysing: {done} of {total} windows" + (f", {left}" if left else ""))
        self.progress_host.show()

    def show_message(self, text: str) -> None:
        self.progress_host.hide()
        self.verse.hide()
        self.grid_caption.hide()
        self.verdict.setText(text)
        self.detail.setText("")
        self.practice.hide()
        for _, bar, number in self.rows.values():
            bar.setValue(0)
            number.setText("–")
