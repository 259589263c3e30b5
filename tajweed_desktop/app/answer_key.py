"""The batch's answer key: the rule each file should show, either one rule for every file or a CSV
per file, and the folder it belongs to.

A key belongs to the folder it came with (a Kaggle layout's `train.csv`, a folder's
`expected.csv`) or was chosen for (the folder shown when it was chosen, else the next one
opened): checking another folder never judges its files against it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from tajweed_desktop.core.quran.practice import read_expected_csv, short_name
from tajweed_desktop.core.checking.results import FileResult, with_expected


def find_answer_key(folder: Path) -> Path | None:
    """A Kaggle-layout folder (`train/` beside `train.csv`) or a folder holding `expected.csv`
    brings its own expected rules."""
    for candidate in (folder / "expected.csv", folder.parent / f"{folder.name}.csv"):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class AnswerKey:
    rule: str | None = None  # one rule for every file
    table: dict[str, str] | None = None  # per file, from `path`
    path: Path | None = None
    folder: Path | None = None  # the folder it belongs to (None: the next folder opened)
    came_with_folder: bool = False

    @property
    def empty(self) -> bool:
        return self.rule is None and self.table is None

    @classmethod
    def from_csv(cls, path: str | Path, folder: Path | None = None, came_with_folder: bool = False) -> AnswerKey:
        """Raises OSError, ValueError or UnicodeDecodeError for a CSV that cannot be read."""
        return cls(table=read_expected_csv(path), path=Path(path), folder=folder, came_with_folder=came_with_folder)

    def belongs_to(self, folder: Path) -> bool:
        return self.folder is None or self.folder == folder

    def combo_data(self):
        """The Expected box's item for this key: None, "csv" or the rule."""
        return "csv" if self.table is not None else self.rule

    def describe(self) -> str:
        """What the tab says is in force."""
        if self.table is not None:
            origin = "came with the folder" if self.came_with_folder else "chosen"
            return f"answer key {self.path.name} ({origin}, {len(self.table)} files)"
        if self.rule is not None:
            return f"{short_name(self.rule)} for every file"
        return "no answer key"

    def judge(self, result: FileResult, labels) -> FileResult:
        """The result with its expected rule under this key (none without one)."""
        cleared = dataclasses.replace(result, expected=None)
        return with_expected(cleared, labels, self.rule, self.table)
