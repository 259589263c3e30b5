"""One row per checked file, as the checker's CSV and the app's export both write it."""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tajweed_desktop.core.common.atomic import atomic_write_bytes
from tajweed_desktop.core.quran.practice import expected_for, outcome, resolve_rule

if TYPE_CHECKING:  # the app builds its window before the inference runtimes are imported
    from tajweed_desktop.core.model.ensemble import Analysis


@dataclass(frozen=True)
class FileResult:
    path: Path
    analysis: Analysis | None = None
    error: str | None = None
    expected: str | None = None  # the rule the file should show (practice / a teacher's answer key)

    @property
    def ok(self) -> bool:
        return self.analysis is not None

    @property
    def outcome(self) -> str | None:
        """match / not yet / uncertain against `expected`; None without an expected rule or a result."""
        if self.expected is None or self.analysis is None:
            return None
        return outcome(self.analysis.clip, self.expected)


def with_expected(result: FileResult, labels: list[str] | tuple[str, ...], rule: str | None = None,
                  table: dict[str, str] | None = None) -> FileResult:
    """The result with its expected rule: `rule` for every file, else its entry in `table` (as
    `read_expected_csv` gives it), resolved to the bundle's label where it names one."""
    raw = rule if rule is not None else expected_for(result.path, table) if table is not None else None
    if raw is None:
        return result
    return dataclasses.replace(result, expected=resolve_rule(raw, labels) or raw)


def csv_header(labels: list[str] | tuple[str, ...], expected: bool = False) -> list[str]:
    """With expected rules, two more columns at the end: `expected` and `outcome` (match, not yet,
    uncertain), so the columns before them stay where scripts expect them."""
    head = ["file", "predicted_rule", "confidence", "uncertain", *[f"p_{lab}" for lab in labels], "error"]
    return head + (["expected", "outcome"] if expected else [])


def csv_row(result: FileResult, labels: list[str] | tuple[str, ...], expected: bool = False) -> list[str]:
    extra = [result.expected or "", result.outcome or ""] if expected else []
    if result.analysis is None:
        return [str(result.path), "", "", "", *[""] * len(labels), result.error or "", *extra]
    clip = result.analysis.clip
    probs = clip.as_dict()
    return [
        str(result.path),
        clip.top_rule,
        f"{clip.confidence:.4f}",
        "yes" if clip.uncertain else "no",
        *[f"{probs[lab]:.4f}" for lab in labels],
        "",
        *extra,
    ]


def csv_text(results: list[FileResult], labels: list[str] | tuple[str, ...]) -> str:
    expected = any(r.expected is not None for r in results)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(csv_header(labels, expected))
    for r in results:
        w.writerow(csv_row(r, labels, expected))
    return buf.getvalue()


def write_csv(path: str | Path, results: list[FileResult], labels: list[str] | tuple[str, ...]) -> None:
    """UTF-8 with BOM, so spreadsheet programs show Arabic file names; written atomically."""
    atomic_write_bytes(path, csv_text(results, labels).encode("utf-8-sig"))


def as_json(result: FileResult) -> dict:
    extra = {"expected": result.expected, "outcome": result.outcome} if result.expected is not None else {}
    if result.analysis is None:
        return {"file": str(result.path), "error": result.error, **extra}
    a = result.analysis
    clip = a.clip

    def pred(p):
        return {"top_rule": p.top_rule, "confidence": p.confidence, "uncertain": p.uncertain,
                "reasons": list(p.uncertain_reasons), "probabilities": p.as_dict(),
                "spread": dict(zip(p.labels, map(float, p.spread))), "agreement": p.agreement}

    return {
        "file": str(result.path),
        "duration": a.duration,
        **pred(clip),
        "timeline": [{"start": t.start, "end": t.end, **pred(t.prediction)} for t in a.timeline],
        "error": None,
        **extra,
    }
