"""A verse's words as the site table and QUL number them, the Basmala Tanzil puts before verse 1,
and the plain letters (no diacritics, one form per letter) that a transcript is compared on.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from tajweed_desktop.core.quran import text

# Tanzil's text carries the Basmala on verse 1 of every surah but 1 (where it is verse 1) and 9;
# text.verse_text leaves it out, so a verse's words are numbered as the site table and QUL number them


def has_basmala(surah: int, ayah: int) -> bool:
    return ayah == 1 and surah not in (1, 9)


def basmala() -> tuple[str, ...]:
    return verse_words(1, 1)


@lru_cache(maxsize=None)
def verse_words(surah: int, ayah: int) -> tuple[str, ...]:
    """The words of the verse, word 1 first, numbered as the site table and QUL number them
    (without the Basmala that the text carries on verse 1): `text.words`, kept as a tuple."""
    return tuple(text.words(surah, ayah))


_DROP = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u08d3-\u08ff\u0640\u200c-\u200f\u2060\u06e5\u06e6]")
_LETTERS = str.maketrans({"ٱ": "ا", "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ی": "ي", "ئ": "ي", "ؤ": "و",
                          "ة": "ه", "ء": "", "ک": "ك"})


def plain(s: str) -> str:
    """Letters only: diacritics and Quranic marks removed, the forms of alif, ya and ta marbuta
    made one, hamza dropped, other characters (digits, Latin) dropped, spaces collapsed."""
    s = _DROP.sub("", unicodedata.normalize("NFC", s)).translate(_LETTERS)
    s = re.sub(r"[^\u0621-\u064a\s]", "", s)
    return " ".join(s.split())


def letter_count(s: str) -> int:
    """How many plain letters `s` holds (spaces and marks not counted): the length measure that
    verse identification and live mode compare transcripts and verses by."""
    return len(plain(s).replace(" ", ""))


def verses_letters(surah: int, first: int, last: int) -> int:
    """The plain letters of verses first..last of a surah."""
    return sum(letter_count(text.verse_text(surah, k)) for k in range(first, last + 1))
