"""Practice: the rule a learner meant to recite against the rule the models heard (no Qt).

The answer is never a judgement when the verdict is uncertain: "not yet" only when the models
are sure they heard another rule."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tajweed_desktop.core.quran.rules import rule_info

if TYPE_CHECKING:
    from tajweed_desktop.core.model.ensemble import Prediction

MATCH, NOT_YET, UNCERTAIN = "match", "not yet", "uncertain"


def percent(p: float) -> str:
    """One decimal, and never "100%" for what is not certain (0.9996 shows as 99.9%)."""
    value = p * 100
    if p < 1.0:
        value = min(value, 99.9)
    if p > 0.0:
        value = max(value, 0.1)
    return f"{value:.1f}%"


def short_name(label: str) -> str:
    """ "Ikhfa (concealment)" -> "Ikhfa": the name a learner reads in a sentence."""
    return rule_info(label).english.split(" (")[0]


def resolve_rule(name: str, labels: list[str] | tuple[str, ...]) -> str | None:
    """A rule as a user types it (any case, the label or its English name) -> the bundle's label."""
    key = name.strip().lower()
    for lab in labels:
        if key in (lab.lower(), short_name(lab).lower(), rule_info(lab).english.lower()):
            return lab
    return None


def outcome(prediction: Prediction, expected: str) -> str:
    if prediction.uncertain:
        return UNCERTAIN
    return MATCH if prediction.top_rule == expected else NOT_YET


def practice_answer(prediction: Prediction, expected: str) -> str:
    """ "expected Ikhfa — heard Ikhfa 82.0%", "expected Ikhfa — heard Izhar 71.0%: not yet", or,
    when the verdict is uncertain, what was heard and that no judgement is made."""
    want, heard = short_name(expected), short_name(prediction.top_rule)
    p = percent(prediction.confidence)
    result = outcome(prediction, expected)
    if result == UNCERTAIN:
        return f"expected {want} — not sure what was heard (best guess {heard} {p}), so no judgement"
    if result == MATCH:
        return f"expected {want} — heard {want} {p}"
    return f"expected {want} — heard {heard} {p}: not yet"


@dataclass(frozen=True)
class Tally:
    match: int = 0
    not_yet: int = 0
    uncertain: int = 0
    failed: int = 0

    @property
    def judged(self) -> int:
        return self.match + self.not_yet

    def summary(self) -> str:
        total = self.judged + self.uncertain + self.failed
        text = f"{self.match} of {total} as expected, {self.not_yet} not yet, {self.uncertain} uncertain"
        return text + (f", {self.failed} failed" if self.failed else "")


def tally(outcomes: list[str | None]) -> Tally:
    """outcomes: match / not yet / uncertain per file with an expected rule, None for a failed file."""
    c = Counter(outcomes)
    return Tally(c[MATCH], c[NOT_YET], c[UNCERTAIN], c[None])


def read_expected_csv(path: str | Path) -> dict[str, str]:
    """Expected rules per file from a CSV: columns `file` and `expected` (or `expected_rule`), or
    the Kaggle layout's `id` and `label_name`. Keys are as written; `expected_for` matches them."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        fields = {name.strip().lower(): name for name in reader.fieldnames or []}
        file_col = fields.get("file") or fields.get("id") or fields.get("path")
        rule_col = fields.get("expected") or fields.get("expected_rule") or fields.get("label_name")
        if not file_col or not rule_col:
            raise ValueError(f"{path}: needs a file (or id) column and an expected (or label_name) column")
        return {row[file_col].strip(): row[rule_col].strip() for row in reader if row.get(file_col)}


def expected_for(path: Path, table: dict[str, str]) -> str | None:
    """The table's entry for a file by full path, name, or name without extension (Kaggle ids)."""
    for key in (str(path), path.name, path.stem):
        if key in table:
            return table[key]
    return None
