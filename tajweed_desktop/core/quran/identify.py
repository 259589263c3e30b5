"""Which verse (or run of consecutive verses) a recording holds, from the audio alone, or whether
it sounds like a verse the learner names.

1. Whisper base's decoder transcribes each 30 s window (Arabic, beam search) and names the language.
2. Every verse is scored by the cosine between character 2-4-gram TF-IDF vectors of its plain
   letters and the transcript's (numpy only), and again on both texts' skeletons (the consonants,
   sound-alike letters made one: `skeleton`), keeping the higher: a short verse's transcript
   is often wrong in its vowel letters and emphatics while its consonants still match. Runs of
   consecutive verses around each way's best verses are scored the same way, n-gram counts summed.
3. The best few are aligned to the audio (core/quran/alignment.py) and ranked by the alignment's
   score (the geometric mean probability of the verse's tokens under the decoder, given the audio)
   times the text cosine: the alignment score alone prefers runs that add the next verse, whose
   text the decoder predicts well whatever it hears; the cosine falls for text not transcribed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.common.errors import TajweedError
from tajweed_desktop.core.common.threads import once
from tajweed_desktop.core.model.transcriber import WINDOW_SECONDS, Transcriber
from tajweed_desktop.core.quran import text
from tajweed_desktop.core.quran import words as qwords
from tajweed_desktop.core.quran.alignment import Alignment, align_verses, verse_label

NGRAMS = (2, 3, 4)
TEXT_CANDIDATES = 5  # the best by text similarity that are aligned to the audio
MAX_RUN = 12  # the most consecutive verses a run holds
# Below this alignment score no verse is named. Fitted on the haneef verses (a reciter outside
# reciters5, whose numbers the README reports; tools/fit_verse_threshold.py), not on reciters5.
NO_VERSE_SCORE = 0.02
# Whisper's language detection: below this probability of Arabic, the sound is speech in another
# language, not recitation. A first-principles bound: Arabic recitation was measured at 0.65-0.98.
MIN_ARABIC = 0.2
# The ranking's length term: (shorter / longer letter count of transcript and candidate) ** LENGTH_POWER.
# Without it a run that adds a verse of the same words (109:3-5 for 109:3, 82:17-18 for 82:17) wins,
# as the decoder predicts such text well whatever it hears. Chosen on haneef, not reciters5
# (tools/fit_verse_threshold.py): top-1 on its 57 verses under 8 s 0.860 without the term, 0.895 with
# any power from 0.5 to 3; on 60 verses under 30 s 0.983 -> 1.000. 1 is the middle of that plateau.
LENGTH_POWER = 1.0
# ... and x the share of its words the alignment gives at least MIN_WORD_SECONDS. Whisper's greedy
# transcript often goes on with the verse after the one recited (it knows the text by heart), and
# aligning that run squeezes the verse never recited into zero-length words at the end (seen on
# 82:17 answered as 82:17-18). On haneef's 57 verses under 8 s: top-1 0.895 -> 0.912 (with or
# without the length term; tools/fit_verse_threshold.py).
MIN_WORD_SECONDS = 0.06
# The transcript is the best of a beam search, not greedy: the greedy decoder drifts into the verse
# it expects. On 80 haneef verses under 12 s (tools/fit_verse_threshold.py --n 80 --max-seconds 12
# --beam 5, then --beam 1; not reciters5) top-1 was 0.950 with both, but every miss with a beam of 5
# was a verse whose text another verse shares (5:10/5:86, 2:5/31:5, 2:162/3:88, 2:1 'alif lam mim'),
# while greedy also missed 3:197 and 2:2; top-5 0.988 against 0.963. It costs about 0.1 s a window.
TRANSCRIBE_BEAM = 5
GIVEN_COSINE_SHARE = 0.5  # a named verse whose text matches the transcript under half as well as the best is "not it"


# Whisper's transcripts of short verses go wrong in a few ways that the plain letters keep: the
# long-vowel letters it writes for sung short vowels or drops ("لاميه" for لم), an emphatic letter
# written as its plain pair ("الله سمدت" for الله الصمد), and its own word breaks ("لدوي لاميوله" for
# يلد ولم يولد). The skeleton drops all three: sound-alike letters made one, ا و ي and ع dropped,
# doubled letters made single, no spaces. Candidates are matched on it as well as on the plain
# letters. (Here, not in words.py: that module's source is part of the trainer's alignment cache key.)
_SOUND_ALIKE = str.maketrans({"ص": "س", "ث": "س", "ض": "د", "ظ": "ذ", "ز": "ذ", "ط": "ت", "ق": "ك", "ح": "ه",
                              "غ": "خ", "ع": "", "ا": "", "و": "", "ي": "", " ": ""})


def skeleton(s: str) -> str:
    """The consonants `s` is recited with, as a transcript may spell them (see _SOUND_ALIKE)."""
    return re.sub(r"(.)\1+", r"\1", qwords.plain(s).translate(_SOUND_ALIKE))


class NotRecitationError(TajweedError):
    """Speech in another language (e.g. a translation read aloud)."""


@dataclass(frozen=True)
class Candidate:
    surah: int
    first_ayah: int
    last_ayah: int
    text_score: float  # cosine of the transcript and the verses' text, 0..1
    score: float | None = None  # alignment score, 0..1 (None: not aligned)
    alignment: Alignment | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        return verse_label(self.surah, self.first_ayah, self.last_ayah)


@dataclass(frozen=True)
class Identification:
    candidates: tuple[Candidate, ...]  # the top five, best first
    transcript: str
    language: str
    arabic_probability: float
    found: bool  # False: "no verse found" (the best scored below NO_VERSE_SCORE)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def message(self) -> str:
        b = self.best
        if b is None:
            return "no verse found"
        if not self.found:
            return f"no verse found: best guess {b.label} at {b.score:.2f}"
        return f"{b.label} ({b.score:.2f})"


def _grams(s: str) -> Counter:
    s = f" {s} "
    return Counter(s[i : i + n] for n in NGRAMS for i in range(len(s) - n + 1))


class VerseIndex:
    """Character n-gram TF-IDF of every verse's text in one form (`form`: its plain letters, or its
    skeleton), as sparse rows (numpy only). The verses' raw counts are kept as arrays beside the
    rows, not as 6,236 Counters: those held about 100 MB of small Python objects for the life of
    the app."""

    def __init__(self, form: Callable[[str], str] = qwords.plain):
        self.form = form
        self.keys: list[tuple[int, int]] = []
        vocab: dict[str, int] = {}
        indptr, indices, counts = [0], [], []
        for s, verses in enumerate(text.verses(), start=1):
            for a in range(1, len(verses) + 1):
                self.keys.append((s, a))
                c = _grams(form(" ".join(qwords.verse_words(s, a))))
                indices.append(np.fromiter((vocab.setdefault(g, len(vocab)) for g in c), np.int32, len(c)))
                counts.append(np.fromiter(c.values(), np.uint16, len(c)))  # whole counts: 2 bytes, not 4
                indptr.append(indptr[-1] + len(c))
        self.vocab = vocab
        self.indptr = np.array(indptr)
        self.indices = np.concatenate(indices)
        self.counts = np.concatenate(counts)
        df = np.bincount(self.indices, minlength=len(vocab))
        self.idf = np.log((1 + len(self.keys)) / (1 + df)) + 1.0
        data = self.counts * self.idf[self.indices]
        norms = np.sqrt(np.add.reduceat(data * data, self.indptr[:-1]))
        # float32: a cosine needs no more, and the rows are a million entries
        self.data = (data / np.repeat(np.where(norms > 0, norms, 1.0), np.diff(self.indptr))).astype(np.float32)
        self.row = {k: i for i, k in enumerate(self.keys)}

    def _normalised(self, q: np.ndarray) -> np.ndarray:
        q = q * self.idf
        norm = np.linalg.norm(q)
        return q / norm if norm else q

    def vector(self, grams: Counter) -> np.ndarray:
        q = np.zeros(len(self.vocab))
        for g, n in grams.items():
            j = self.vocab.get(g)
            if j is not None:
                q[j] += n
        return self._normalised(q)

    def query(self, transcript: str) -> np.ndarray:
        """The transcript's vector, in this index's form."""
        return self.vector(_grams(self.form(transcript)))

    def scores(self, transcript: str) -> np.ndarray:
        """Cosine of the transcript with every verse, in mushaf order."""
        return self.scores_of(self.query(transcript))

    def scores_of(self, q: np.ndarray) -> np.ndarray:
        return np.add.reduceat(self.data * q[self.indices], self.indptr[:-1])

    def run_score(self, q: np.ndarray, surah: int, first: int, last: int) -> float:
        """Cosine of `q` with the verses first..last of a surah read as one text (counts summed)."""
        a, b = self.indptr[self.row[(surah, first)]], self.indptr[self.row[(surah, last)] + 1]
        idx, where = np.unique(self.indices[a:b], return_inverse=True)
        w = np.bincount(where, weights=self.counts[a:b]) * self.idf[idx]
        norm = np.linalg.norm(w)
        return float(w @ q[idx] / norm) if norm else 0.0


@once
def verse_index() -> VerseIndex:
    return VerseIndex()


@once
def skeleton_index() -> VerseIndex:
    return VerseIndex(skeleton)


def transcribe(tr: Transcriber, samples: np.ndarray, cache: dict | None = None) -> tuple[str, str, float]:
    """The Arabic transcript of the recording (a beam of TRANSCRIBE_BEAM), 30 s window by window, the language
    Whisper hears in the first window and its probability of Arabic. Each window's encoding is
    kept in `cache` by its first sample, as the alignment keeps its windows (the same
    samples[a : a + 30 s]), so a verse under 30 s is encoded once for both."""
    step = int(WINDOW_SECONDS * SAMPLE_RATE)
    parts, language, p_ar = [], "ar", 1.0
    cache = {} if cache is None else cache
    for k, a in enumerate(range(0, max(1, samples.shape[0]), step)):
        enc = cache.get(a) or cache.setdefault(a, tr.encode(samples[a : a + step]))
        if k == 0:
            langs = tr.detect_language(enc)
            language = langs[0][0]
            p_ar = next((p for code, p in langs if code == "ar"), 0.0)
        parts.append(tr.generate(enc, beam_size=TRANSCRIBE_BEAM)[0])
    return " ".join(parts), language, p_ar


def text_candidates(transcript: str, n: int = TEXT_CANDIDATES, runs: bool = True, use_skeleton: bool = True) -> list[Candidate]:
    """The best verses and runs of consecutive verses by text similarity alone: each scored by the
    higher of its cosines with the transcript on plain letters and on skeletons. Candidates are
    each way's best verses and the runs around each way's best ten.

    Measured on reciters5's 230 verses (`make identify`, tools/identify_eval.py): top-1 0.861 ->
    0.904, top-5 0.904 -> 0.943, all five reciters better or equal; haneef's 57 verses under 8 s
    unchanged (0.965 / 0.982). Which of the ways to combine the two (the higher, the mean, the
    skeleton alone, a skeleton without sound-alike letters) was chosen on reciters5 itself.
    `use_skeleton=False`: plain letters only, as before (for that comparison)."""
    letters = qwords.letter_count(transcript)
    ways = []
    keys: dict[tuple[int, int, int], None] = {}
    for index in (verse_index(), skeleton_index()) if use_skeleton else (verse_index(),):
        q = index.query(transcript)
        scores = index.scores_of(q)
        ways.append((index, q, scores))
        order = np.argsort(-scores, kind="stable")[: max(n, 20)]
        keys.update(((*index.keys[i], index.keys[i][1]), None) for i in order)
        if not runs:
            continue
        for i in order[:10]:
            s, a = index.keys[i]
            for first in range(max(1, a - MAX_RUN + 1), a + 1):
                for last in range(a, min(text.verse_count(s), first + MAX_RUN - 1) + 1):
                    if last == first:
                        continue
                    if qwords.verses_letters(s, first, last) > 2.0 * letters + 20:
                        break
                    keys[(s, first, last)] = None

    def score(s: int, first: int, last: int) -> float:
        return max(float(sc[ix.row[(s, first)]]) if first == last else ix.run_score(q, s, first, last)
                   for ix, q, sc in ways)

    best = sorted(((score(*k), k) for k in keys), key=lambda sk: -sk[0])[:n]
    return [Candidate(s, a, b, sc) for sc, (s, a, b) in best]


def length_fit(transcript_letters: int, c: Candidate) -> float:
    """1 when the transcript is as long as the candidate's text, less the more they differ."""
    a, b = transcript_letters, qwords.verses_letters(c.surah, c.first_ayah, c.last_ayah)
    return min(a, b) / max(a, b) if a and b else 0.0


def heard_share(al: Alignment | None) -> float:
    """The share of the aligned words that last at least MIN_WORD_SECONDS (1 when not aligned)."""
    if al is None or not al.words:
        return 1.0
    return sum(w.end - w.start >= MIN_WORD_SECONDS for w in al.words) / len(al.words)


def rank_score(c: Candidate, transcript_letters: int, power: float = LENGTH_POWER, heard: bool = True) -> float:
    """How aligned candidates are ranked: alignment score x text cosine x length fit ** power
    x the share of words heard."""
    return ((c.score or 0.0) * c.text_score * length_fit(transcript_letters, c) ** power
            * (heard_share(c.alignment) if heard else 1.0))


def identify(tr: Transcriber, samples: np.ndarray, n_align: int = TEXT_CANDIDATES, top: int = 5) -> Identification:
    """The verses the recording most likely holds, best first, with their scores. Raises
    NotRecitationError for speech in another language that matches no verse."""
    cache: dict = {}
    transcript, language, p_ar = transcribe(tr, samples, cache)
    return identify_transcribed(tr, samples, (transcript, language, p_ar), cache, n_align, top)


def identify_transcribed(tr: Transcriber, samples: np.ndarray, transcribed: tuple[str, str, float], cache: dict,
                         n_align: int = TEXT_CANDIDATES, top: int = 5, use_skeleton: bool = True) -> Identification:
    """`identify` given `transcribe`'s result and its window cache."""
    transcript, language, p_ar = transcribed
    cands = text_candidates(transcript, n=max(n_align, top), use_skeleton=use_skeleton)
    aligned = []
    for c in cands[:n_align]:
        al = align_verses(tr, samples, c.surah, c.first_ayah, c.last_ayah, transcript=transcript, cache=cache)
        aligned.append(Candidate(c.surah, c.first_ayah, c.last_ayah, c.text_score, al.score, al))
    letters = qwords.letter_count(transcript)
    aligned.sort(key=lambda c: -rank_score(c, letters))
    ranked = (aligned + cands[n_align:])[:top]
    found = bool(ranked) and (ranked[0].score or 0.0) >= NO_VERSE_SCORE
    # Language detection alone misjudges recitation (Abdul Basit's 82:11 was heard as Tamil, Arabic
    # 9%), so it refuses only what also matches no verse: speech in another language.
    if p_ar < MIN_ARABIC and not found:
        raise NotRecitationError(f"no verse found (the decoder heard speech in '{language}', Arabic {p_ar:.0%}: not recitation, or too short to tell)")
    return Identification(tuple(ranked), transcript, language, p_ar, found)


_SPEC = re.compile(r"^\s*(\d{1,3})\s*:\s*(\d{1,3})\s*(?:-\s*(\d{1,3})\s*)?$")
_FILE = re.compile(r"^(\d{3})(\d{3})\.[A-Za-z0-9]+$")


def parse_verse_spec(spec: str) -> tuple[int, int, int]:
    """`S:A` or `S:A-B` -> (surah, first, last); ValueError with a one-line reason otherwise."""
    m = _SPEC.match(spec)
    if not m:
        raise ValueError(f"{spec!r} is not a verse: write S:A or S:A-B (e.g. 82:5 or 112:1-4)")
    s, a = int(m.group(1)), int(m.group(2))
    b = int(m.group(3)) if m.group(3) else a
    if not 1 <= s <= text.surah_count():
        raise ValueError(f"{spec}: there is no surah {s} (1-{text.surah_count()})")
    n = text.verse_count(s)
    if not (1 <= a <= n and a <= b <= n):
        raise ValueError(f"{spec}: surah {s} has verses 1-{n}" + (f"; {a}-{b} is not a range of them" if b != a else ""))
    if b - a + 1 > MAX_RUN:
        raise ValueError(f"{spec}: at most {MAX_RUN} verses at a time")
    return s, a, b


def verse_from_filename(name: str) -> tuple[int, int, int] | None:
    """An EveryAyah-style file name `SSSAAA.mp3` -> (surah, ayah, ayah), or None."""
    m = _FILE.match(name)
    if not m:
        return None
    try:
        return parse_verse_spec(f"{int(m.group(1))}:{int(m.group(2))}")
    except ValueError:
        return None


def check_given(tr: Transcriber, samples: np.ndarray, surah: int, first: int, last: int) -> tuple[Alignment, bool, str]:
    """Align the named verses and say whether the recording sounds like them: the alignment's
    score must reach NO_VERSE_SCORE and the text cosine GIVEN_COSINE_SHARE of the best verse's. Returns the alignment, the verdict and the transcript."""
    cache: dict = {}
    transcript, language, p_ar = transcribe(tr, samples, cache)
    al = align_verses(tr, samples, surah, first, last, transcript=transcript, cache=cache)
    index = verse_index()
    q = index.query(transcript)
    given_cos = index.run_score(q, surah, first, last)
    best_cos = float(index.scores(transcript).max())
    # the decoder predicts any Quran text well, so the alignment score alone accepts a wrong verse:
    # the transcript must also match the named verses at least half as well as the verse it matches best
    matches = al.score >= NO_VERSE_SCORE and given_cos >= GIVEN_COSINE_SHARE * best_cos
    if p_ar < MIN_ARABIC and not matches:  # as in `identify`: language detection alone misjudges recitation
        raise NotRecitationError(f"no verse found (the decoder heard speech in '{language}', Arabic {p_ar:.0%}: not recitation, or too short to tell)")
    return al, matches, transcript


# -- a recording still being made (live mode): the verse whose opening the transcript matches ------


def containment(transcript: str) -> np.ndarray:
    """Per verse, the share of the transcript's n-grams (IDF-weighted) that the verse holds: 1.0
    when the verse holds all of it, however much longer the verse is (a partial recitation).
    One pass over the index's million (verse, n-gram) entries, a few ms: an inverted copy of the
    index made this faster still but held 15 MB for the life of the app."""
    index = verse_index()
    grams = _grams(qwords.plain(transcript))
    known = {index.vocab[g]: c for g, c in grams.items() if g in index.vocab}
    unknown = sum(c for g, c in grams.items() if g not in index.vocab)  # weighed as the rarest n-gram
    ids = np.fromiter(known, np.int64, len(known))
    want = np.fromiter(known.values(), np.float64, len(known))
    total = float(want @ index.idf[ids]) + unknown * float(np.max(index.idf))
    if not total or not known:
        return np.zeros(len(index.keys))
    slot = np.full(len(index.vocab), -1, np.int64)
    slot[ids] = np.arange(len(ids))
    at = slot[index.indices]
    hit = np.flatnonzero(at >= 0)
    k = at[hit]
    rows = np.searchsorted(index.indptr, hit, side="right") - 1
    held = np.minimum(want[k], index.counts[hit]) * index.idf[ids][k]
    return np.bincount(rows, weights=held, minlength=len(index.keys)) / total


def _opening(surah: int, ayah: int, letters: int) -> str:
    out, n = [], 0
    for w in qwords.verse_words(surah, ayah):
        if n >= letters:
            break
        p = qwords.plain(w)
        out.append(p)
        n += len(p)
    return " ".join(out)


def opening_candidates(transcript: str, n: int = TEXT_CANDIDATES, recall: int = 40) -> list[Candidate]:
    """The verses whose opening best matches the transcript of a recitation still going on: the
    `recall` verses that hold most of its n-grams (`containment`), ranked by the cosine of the
    transcript with each verse's opening of as many letters (a Basmala heard first is set aside).
    `text_score` is that cosine."""
    index = verse_index()
    words = qwords.plain(transcript).split()
    texts = [" ".join(words)]
    if words[:2] == ["بسم", "الله"] and len(words) > 4:
        texts.append(" ".join(words[4:]))
    best: dict[tuple[int, int], float] = {}
    for t in texts:
        letters = len(t.replace(" ", ""))
        if not letters:
            continue
        q = index.vector(_grams(t))
        share = containment(t)
        for i in np.argsort(-share)[:recall]:
            s, a = index.keys[i]
            cos = float(index.vector(_grams(_opening(s, a, int(letters * 1.1)))) @ q)
            best[(s, a)] = max(best.get((s, a), 0.0), cos)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])[:n]
    return [Candidate(s, a, a, sc) for (s, a), sc in ranked]


def opening_cosine(transcript: str, surah: int, ayah: int) -> float:
    """The cosine of the transcript with the opening of the verse of as many letters (and a tenth)."""
    t = qwords.plain(transcript)
    letters = len(t.replace(" ", ""))
    if not letters:
        return 0.0
    index = verse_index()
    return float(index.vector(_grams(t)) @ index.vector(_grams(_opening(surah, ayah, int(letters * 1.1)))))


def text_cosine(transcript: str, other: str) -> float:
    """The cosine of two texts' character n-gram TF-IDF vectors (plain letters)."""
    index = verse_index()
    return float(index.query(transcript) @ index.query(other))
