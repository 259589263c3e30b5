"""A verse's words as the site table and QUL number them, the Basmala Tanzil puts before verse 1,
and the plain letters (no diacritics, one form per letter) that a transcript is compared on.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from tajweed_desktop.core.quran import text

# Tanzil's text carries the Basmala on verse 1 of every surah but 1 (where it is verse 1) and 9
BASMALA_WORDS = 4


def has_basmala(surah: int, ayah: int) -> bool:
    return ayah == 1 and surah not in (1, 9)


@lru_cache(maxsize=None)
def _tokens(surah: int, ayah: int) -> tuple[str, ...]:
    """The verse split on spaces (not the hair space inside a word), marks that stand alone left
    out, a piece that begins with a combining mark (e.g. "صِرَ ٰ⁠طَ", where
    the text has a space before the small alef) joined to the word before it."""
    out: list[str] = []
    for piece in text.verse_text(surah, ayah).split(" "):
        if not piece or all(unicodedata.category(c)[0] != "L" for c in piece):
            continue  # a mark standing alone (۞ at a hizb quarter, ۩ at a prostration)
        if out and unicodedata.category(piece[0]) == "Mn":
            out[-1] = out[-1] + " " + piece
        else:
            out.append(piece)
    return tuple(out)


def basmala() -> tuple[str, ...]:
    return _tokens(1, 1)


def verse_words(surah: int, ayah: int) -> tuple[str, ...]:
    """The words of the verse, word 1 first, numbered as the site table and QUL number them
    (without the Basmala that the text carries on verse 1)."""
    words = _tokens(surah, ayah)
    if has_basmala(surah, ayah) and [plain(w) for w in words[:BASMALA_WORDS]] == [plain(w) for w in basmala()]:
        words = words[BASMALA_WORDS:]
    return words


_DROP = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u08d3-\u08ff\u0640\u200c-\u200f\u2060\u06e5\u06e6]")
_LETTERS = str.maketrans({"ٱ": "ا", "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ی": "ي", "ئ": "ي", "ؤ": "و",
                          "ة": "ه", "ء": "", "ک": "ك"})


def plain(s: str) -> str:
    """Letters only: diacritics and Quranic marks removed, the forms of alif, ya and ta marbuta
    made one, hamza dropped, other characters (digits, Latin) dropped, spaces collapsed."""
    s = _DROP.sub("", unicodedata.normalize("NFC", s)).translate(_LETTERS)
    s = re.sub(r"[^\u0621-\u064a\s]", "", s)
    return " ".join(s.split())
