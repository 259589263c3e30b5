"""Per-rule probabilities with names, explanations, fold agreement and an explicit verdict.
Text and numbers always stand beside the bars: never colour alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ..core.rules import rule_info

if TYPE_CHECKING:
    from ..core.ensemble import Prediction


class RulePanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.verdict = QLabel("Open or record a recitation to check it.")
        self.verdict.setWordWrap(True)
        self.verdict.setAccessibleName("Verdict")
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.verdict.setFont(font)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.grid_host = QFrame()
        self.grid = QGridLayout(self.grid_host)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.detail)
        layout.addWidget(self.grid_host)
        layout.addStretch(1)
        self.rows: dict[str, tuple[QLabel, QProgressBar, QLabel]] = {}

    def set_labels(self, labels: list[str]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.rows.clear()
        for r, label in enumerate(labels):
            info = rule_info(label)
            name = QLabel(f"<b>{info.english}</b> <span dir='rtl'>{info.arabic}</span><br><small>{info.explanation}</small>")
            name.setWordWrap(True)
            name.setTextFormat(Qt.TextFormat.RichText)
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

    def show_prediction(self, p: Prediction, where: str = "") -> None:
        top = rule_info(p.top_rule).english
        if p.uncertain:
            self.verdict.setText(f"Uncertain — best guess {top} ({p.confidence:.0%})")
            self.detail.setText("Why uncertain: " + "; ".join(p.uncertain_reasons) + (f". {where}" if where else ""))
        else:
            self.verdict.setText(f"{top} — {p.confidence:.0%}")
            self.detail.setText(where)
        for label, prob, spread in zip(p.labels, p.probabilities, p.spread):
            _, bar, number = self.rows[label]
            bar.setValue(int(round(prob * 1000)))
            number.setText(f"{prob:6.1%} ± {spread:.1%}")
        votes = p.fold_votes.count(p.top_rule)
        self.detail.setText(self.detail.text() + f"  Fold models agreeing: {votes} of {len(p.fold_votes)}.")

    def show_message(self, text: str) -> None:
        self.verdict.setText(text)
        self.detail.setText("")
        for _, bar, number in self.rows.values():
            bar.setValue(0)
            number.setText("–")
