"""Word contexts as they sound: the words a clip recites, not where they stand in the mushaf.

A `reciters5` clip runs from the start of the word holding the noon to the start of the word
after the next one, so it recites that word and the next. The same pair recurs at other places
(وَمِن شَرِّ at 113:3, 113:4 and 113:5; أَنتُمۡ عَـٰبِدُونَ at 109:3 and 109:5): grouped by
position they would be different contexts, and a split that holds "words" out would train on
one and score the other. Grouped by their text they are one context.

The text is normalised to its letters: vowel marks, Quranic annotation signs, tatweel and
format characters are dropped, the wasla alef is read as alef and the Farsi yeh as yeh, so the
same words in another orthographic variant are the same context.
"""

from __future__ import annotations

import logging
import unicodedata

from tajweed_desktop.core.quran import text as quran

log = logging.getLogger(__name__)

_LETTERS = {"\u0671": "\u0627", "\u06cc": "\u064a"}  # alef wasla -> alef, Farsi yeh -> yeh


def normalise(word: str) -> str:
    """A word's letters, without marks (see the module's note)."""
    out = []
    for ch in unicodedata.normalize("NFC", word):
        if unicodedata.category(ch) in ("Mn", "Cf") or ch == "\u0640":
            continue
        out.append(_LETTERS.get(ch, ch))
    return "".join(out)


def verse_words(surah: int, ayah: int) -> list[str]:
    """The verse's words as quran.com/QUL number them: a mark that the text writes after a space
    belongs to the word before it, and the basmala that opens verse 1 of most surahs in this text
    is not part of the verse."""
    words: list[str] = []
    for tok in quran.verse_text(surah, ayah).split(" "):
        if words and tok and all(unicodedata.category(c) in ("Mn", "Cf") for c in tok):
            words[-1] += tok
        elif tok and quran.is_word(tok):  # not a mark standing alone (the hizb mark ۞ opening 5:82), as the site table counts
            words.append(tok)
    if ayah == 1 and surah not in (1, 9):
        basmala = verse_words(1, 1)
        if words[: len(basmala)] == basmala:
            words = words[len(basmala):]
    return words


def spoken_context(surah: int, ayah: int, word: int, token: str = "", next_token: str = "") -> str:
    """The normalised text of the word at `surah:ayah:word` and the word after it: the words the
    clip recites. From the Quran text; when the text cannot confirm the word (a numbering it does
    not share), from the data's own tokens, and failing those the position."""
    try:
        words = verse_words(surah, ayah)
    except (IndexError, OSError):
        words = []
    if 1 <= word <= len(words) and (not token or normalise(words[word - 1]) == normalise(token)):
        return " ".join(normalise(w) for w in words[word - 1 : word + 1])
    log.warning("word %d:%d:%d not found in the Quran text; grouped by its tokens", surah, ayah, word)
    if token:
        return " ".join(normalise(t) for t in dict.fromkeys([token, next_token]) if t)
    return f"{surah}:{ayah}:{word}"
