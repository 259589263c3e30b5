"""The Quran text and its noon sakinah / tanween sites, shipped in the package (no Qt, no torch).

Text: Tanzil Quran Text, tanzil.net. Sites: derived from that text (see quran_data/README.md).
A practising learner picks a surah, verse and site; the site's rule is the rule they should recite.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "quran_data"
ATTRIBUTION = "Tanzil Quran Text, tanzil.net"
BASMALA = "\u0628\u0650\u0633\u06e1\u0645\u0650 \u0671\u0644\u0644\u0651\u064e\u0647\u0650 \u0671\u0644\u0631\u0651\u064e\u062d\u06e1\u0645\u064e\u0640\u0670\u0646\u0650 \u0671\u0644\u0631\u0651\u064e\u062d\u0650\u06cc\u0645\u0650"  # verse 1:1, as the text writes it

# the site table's five-way rule -> the 14-rule bundle's labels (the 4-rule bundle uses rule4)
_RULES14 = {"idgham_ghunnah": "idgham_bighunnah", "idgham_no_ghunnah": "idgham_bilaghunnah",
            "ikhfa": "ikhfa", "iqlab": "iqlab", "izhar": "izhar", "izhar_mutlaq": "izhar"}


@dataclass(frozen=True)
class Site:
    surah: int
    ayah: int
    word: int
    rule: str  # izhar, ikhfa, iqlab, idgham_ghunnah, idgham_no_ghunnah (and a few special cases)
    rule4: str  # izhar, ikhfa, iqlab, idgham
    token: str  # the word holding the noon sakinah or tanween
    next_token: str  # the word (or, inside a word, the same word) whose first letter decides the rule


@lru_cache(maxsize=1)
def verses() -> tuple[tuple[str, ...], ...]:
    """verses()[surah - 1][ayah - 1] is the text of that verse."""
    lines = (DATA / "quran-uthmani.txt").read_text(encoding="utf-8").splitlines()
    out: list[list[str]] = []
    # verse counts per surah follow from the site table's numbering and the text's 6,236 lines
    for surah, count in enumerate(_verse_counts(), start=1):
        start = sum(len(v) for v in out)
        out.append(lines[start : start + count])
    return tuple(tuple(v) for v in out)


def _verse_counts() -> list[int]:
    return [7, 286, 200, 176, 120, 165, 206, 75, 129, 109, 123, 111, 43, 52, 99, 128, 111, 110, 98, 135,
            112, 78, 118, 64, 77, 227, 93, 88, 69, 60, 34, 30, 73, 54, 45, 83, 182, 88, 75, 85, 54, 53, 89,
            59, 37, 35, 38, 29, 18, 45, 60, 49, 62, 55, 78, 96, 29, 22, 24, 13, 14, 11, 11, 18, 12, 12, 30,
            52, 52, 44, 28, 28, 20, 56, 40, 31, 50, 40, 46, 42, 29, 19, 36, 25, 22, 17, 19, 26, 30, 20, 15,
            21, 11, 8, 8, 19, 5, 8, 8, 11, 11, 8, 3, 9, 5, 4, 7, 3, 6, 3, 5, 4, 5, 6]


def available() -> bool:
    """Whether the text and the site table are installed (a build that left them out still runs)."""
    return (DATA / "quran-uthmani.txt").is_file() and (DATA / "noon_tanween_sites.csv").is_file()


def surah_count() -> int:
    return 114


def verse_count(surah: int) -> int:
    return _verse_counts()[surah - 1]


def verse_text(surah: int, ayah: int) -> str:
    """The verse as it is numbered: verse 1 of surahs other than 1 (where it is verse 1) and 9
    (which has none) without the Basmala that the text file puts before it (written بِّسۡمِ in
    95 and 97)."""
    text = verses()[surah - 1][ayah - 1]
    if ayah == 1 and surah != 1:
        tokens = text.split(" ")
        if [tokens[0].replace("\u0651", ""), *tokens[1:4]] == BASMALA.split(" "):
            return " ".join(tokens[4:])
    return text


def is_word(token: str) -> bool:
    """A word, not a mark standing alone (the hizb mark ۞, the sajdah mark ۩)."""
    return any(c.isalpha() for c in token)


def words(surah: int, ayah: int) -> list[str]:
    """The verse's words as the site table numbers them: words(s, a)[site.word - 1] is a site's word."""
    return [t for t in verse_text(surah, ayah).split(" ") if is_word(t)]


@lru_cache(maxsize=1)
def _sites() -> dict[tuple[int, int], tuple[Site, ...]]:
    table: dict[tuple[int, int], list[Site]] = {}
    with open(DATA / "noon_tanween_sites.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            site = Site(int(row["surah"]), int(row["ayah"]), int(row["word"]), row["rule"], row["rule4"],
                        row["token"], row["next_token"])
            table.setdefault((site.surah, site.ayah), []).append(site)
    return {k: tuple(v) for k, v in table.items()}


def sites(surah: int, ayah: int) -> tuple[Site, ...]:
    """The noon sakinah / tanween sites of one verse, in word order."""
    return _sites().get((surah, ayah), ())


def expected_label(site: Site, labels: list[str] | tuple[str, ...]) -> str | None:
    """The bundle's label for the rule this site should show, or None when the bundle has none
    (e.g. the two saktah places)."""
    by_lower = {lab.lower(): lab for lab in labels}
    for candidate in (site.rule4, _RULES14.get(site.rule, ""), site.rule):
        if candidate and candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    return None
