"""Live verse mode: the sites of a verse judged while the learner recites it (issue 19; no Qt).

The caller hands the checker the growing recording (16 kHz mono float32, what the recorder has
so far; the checker only reads it) with `LiveChecker.update(samples, now_s)` and gets back a
`LiveState`: the verse being recited, the word being recited now, and every site judged so far.
A site is judged as soon as the onset of the word after its deciding word has been heard with
GUARD_SECONDS of audio after it (or the learner has paused for END_SILENCE_SECONDS after the
deciding word), with verse mode's own cut and judging (`verses.site_spans`, `verses.judge_sites`:
the same outcomes `as expected`, `not yet`, `uncertain`, `stopped`). At the end `finish(samples)`
runs the whole verse-mode pass over the whole recording (`verses.check_verse_samples`) and pairs
each site's live verdict with the final one; the final one stands.

How an update works, and what it costs (one Whisper encoding of the current verse's audio per
update, 0.1-0.5 s on two busy cores, plus an alignment, 0.1 s, and the new sites' judging):
1. Only the current verse's audio is looked at (from SEGMENT_LEAD_SECONDS before its first word),
   so the cost is bounded by the verse, not the recording. Under 28 s it is encoded padded to
   PAD_SECONDS past its end, not to Whisper's 30 s (`Transcriber.encode(pad_seconds=)`: 3-10
   times faster; the onsets agree with the 30 s window's to 0.02 s for most words). Longer,
   windows that are full (30 s of audio behind them) are kept; the last one is encoded again.
2. Until the verse is known (no verse given), the transcript so far is matched against every
   verse's opening (`identify.opening_candidates`: whole-verse matching fails on half a verse),
   the best IDENTIFY_ALIGN aligned to the audio; the verse ranked first by IDENTIFY_AGREE updates
   in a row is taken.
3. The text of the current verse and the next one is aligned to the audio heard so far, and the
   audio is transcribed. A word has been heard when the transcript holds about as many letters as
   the text up to it (SAID_SLACK: the alignment alone spreads the words not said yet over short
   audio, or squeezes them into its last frames) and its onset lies GUARD_SECONDS before the end.
4. Sites whose next words are heard are judged; a site judged before is judged again only when an
   edge of its cut moved by more than RECUT_SECONDS (the alignment settles as more audio comes).
5. When the first words of the next verse are heard (with sound after them), the current verse's
   sites are frozen and the checker follows the learner to the next verse. A surah's last verse
   has no next: once the transcript explains all of it, the sound after the next pause is
   identified afresh as in 2 (another surah, or the verse again).
6. When the learner says something else (another verse than the next, a verse that was taken for
   the wrong one, the next surah after a surah's last verse), the transcript goes on past what the
   current verse and the next explain (`explained`, a letter alignment): the words past the
   explained ones are not counted as said (no verdict on audio of another verse), and once
   REIDENTIFY_LETTERS stay unexplained for REIDENTIFY_RUNS updates, the audio from the first
   sound after the last word explained is identified as in 2; when IDENTIFY_AGREE updates name
   the same verse the checker follows the learner there (its audio alone, from then on).
   While no verse is known the audio looked at starts at the first sound and is kept under
   IDENTIFY_MAX_SECONDS, so a learner who waits or talks first is still found, and the work per
   update is bounded by a verse's length, not the recording's (a 5-minute recording: RSS and
   segment lengths in tests/core/checking/test_live_long.py).

Stale work is dropped, not queued: `update` always works on the samples it is given, so the
caller gives it the latest audio. `LatestAudio` is the single-slot mailbox for a caller with a
recorder on one thread and the checker on another ('latest wins': a put replaces the audio not
yet taken), and `LiveChecker.serve(mailbox, emit)` is the worker's loop. The checker itself is
not thread-safe: one worker calls it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio.clips import CUT_MARGIN_SECONDS
from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.audio.levels import FRAME_SECONDS
from tajweed_desktop.core.audio.recording import Recording, recording_from_array
from tajweed_desktop.core.checking import verses as vm
from tajweed_desktop.core.common.errors import TajweedError
from tajweed_desktop.core.model.ensemble import Ensemble
from tajweed_desktop.core.model.transcriber import WINDOW_SAMPLES, Transcriber
from tajweed_desktop.core.quran import identify as ident
from tajweed_desktop.core.quran import text
from tajweed_desktop.core.quran import words as qwords
from tajweed_desktop.core.quran.alignment import Alignment, align_verses, basmala_heard, verse_label

GUARD_SECONDS = 0.3  # a word's onset counts as heard when this much audio follows it
END_SILENCE_SECONDS = 0.6  # this much silence after a deciding word: the word after it will not come now
DECIDING_SOUND_SECONDS = 0.4  # ... once the deciding word has had this much sound (not a misplaced onset before a pause)
MIN_SPEECH_SECONDS = 1.0  # less speech than this: "no recitation heard yet", nothing is tried
MIN_NEW_SECONDS = 0.2  # an update with less new audio than this gives the last state again
RECUT_SECONDS = 0.08  # a judged site is judged again when an edge of its cut moves more than this
IDENTIFY_AGREE = 2  # identifications in a row that must name the same verse before it is taken
SEGMENT_LEAD_SECONDS = 0.2  # the next verse's audio starts this much before its first word's onset
MOVE_ON_SOUND_SECONDS = 0.3  # sound after the next verse's first onset needed to follow the learner there
PAD_SECONDS = 2.0  # the audio heard so far is encoded padded by this much (not to 30 s) while shorter than a window
IDENTIFY_ALIGN = 3  # the verses best matching the transcript's opening that are aligned to the audio
SAID_SLACK = 1.2  # the words said so far: the transcript's letters times this, and ...
SAID_EXTRA_LETTERS = 4  # ... this many more (a transcript drops letters more often than it adds them)
MIN_OPENING_COSINE = 0.25  # a verse whose opening matches the transcript less than this is not considered
# Re-identification: the transcript is aligned letter by letter to the text expected (the current
# verse and the next, `explained`); its letters past what that text explains mean the learner says
# something else (went to another verse, or the verse was wrong). Chosen on 60 pairs of reciters5
# verses transcribed as live mode does (20 v, v+1; 40 v then another verse; 1 s steps): with these,
# two updates in a row with REIDENTIFY_LETTERS unexplained never happened within a verse or on the
# way to the next one (523 transcripts), and happened for 38 of the 40 other verses (the two
# missed: a second verse of under 3 s), a median 4.9 s after its start (at most 7.3 s).
UNEXPLAINED_SCORE = -0.2  # per transcript letter left unexplained (a letter matched: +1, a mismatch or gap: -1)
REIDENTIFY_LETTERS = 8  # this many letters unexplained in REIDENTIFY_RUNS updates in a row: find the verse again
REIDENTIFY_RUNS = 2
DOUBT_LETTERS = 4  # this many unexplained: words past the explained text do not count as said (no verdict on them)
SPLIT_PAUSE_SECONDS = 0.2  # the other verse starts at the first pause this long after the last word explained
REIDENTIFY_GIVE_UP = 6  # updates in doubt without the other verse found: the current verse is given up, the audio after it identified afresh
WINDOW_LEAD_SECONDS = 2.0  # past 30 s, the last window's transcript is looked for in the words ending this long before the window and later
MAX_SECONDS_PER_LETTER = 1.0  # a verse and the next recited with more sound than this a letter (and 10 s), or twice
# as long with pauses, are not what the learner says: given up (reciters5's slowest verse: 0.69 s a letter, pauses and all)
IDENTIFY_MAX_SECONDS = 25.0  # while no verse is known the audio looked at is kept under this (it starts at a sound after a pause)

NO_RECITATION = "no recitation heard yet"

Key = tuple[int, int, int]  # surah, ayah, site word


@dataclass(frozen=True)
class LiveSite:
    """One site's live verdict. Times in `result` are seconds into the whole recording; `first_at`
    and `at` are the caller's clock (`now_s`) when the first and the present verdict were given."""

    result: vm.SiteResult
    first_at: float
    at: float
    first_outcome: str
    revisions: int = 0  # times judged again because its cut moved

    @property
    def key(self) -> Key:
        return (self.result.surah, self.result.ayah, self.result.site)


@dataclass(frozen=True)
class LiveState:
    status: str  # NO_RECITATION, "finding the verse", "82:19", ...
    heard: bool  # recitation has been heard
    surah: int | None = None  # the verse being recited (None: not known yet)
    ayah: int | None = None
    word: int | None = None  # the word of that verse being recited now (1-based; None: not known)
    sites: tuple[LiveSite, ...] = ()  # every site judged so far, in recitation order
    changed: tuple[Key, ...] = ()  # the sites judged or judged again in this update
    audio_s: float = 0.0  # seconds of audio this state was computed from
    verses: tuple[tuple[int, int], ...] = ()  # the verses followed so far, in order
    segment_s: float = 0.0  # seconds of audio the update looked at (the current verse's, not the recording's)


@dataclass(frozen=True)
class SiteComparison:
    final: vm.SiteResult | None  # None: a site judged live that the final pass does not have
    live: LiveSite | None  # None: no live verdict (not reached, or missed)

    @property
    def changed(self) -> bool:
        """The final verdict differs from the live one (the final one stands)."""
        return self.live is not None and (self.final is None or self.final.outcome != self.live.result.outcome)


@dataclass(frozen=True)
class LiveReport:
    final: vm.VerseResult
    sites: tuple[SiteComparison, ...]  # the final pass's sites in order, then live-only sites
    live: LiveState  # the last live state


class LatestAudio:
    """A single-slot mailbox between a recorder and the live checker: `put` replaces whatever has
    not been taken yet ('latest wins'; the replaced audio is dropped, never queued), `take` waits
    for the newest. The samples put are read, never written."""

    def __init__(self):
        self._cond = threading.Condition()
        self._item: tuple[np.ndarray, float] | None = None
        self._closed = False
        self.dropped = 0

    def put(self, samples: np.ndarray, now_s: float) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = (samples, now_s)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def take(self, timeout: float | None = None) -> tuple[np.ndarray, float] | None:
        """The newest audio put (and forget it), or None when closed with nothing left or timed out."""
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or self._closed, timeout)
            item, self._item = self._item, None
            return item


def _read_only(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError("live audio must be mono: one sample per frame")
    view = x.view()
    view.flags.writeable = False
    return view


def _letters(s: str) -> np.ndarray:
    return np.frombuffer(qwords.plain(s).replace(" ", "").encode("utf-32-le"), np.uint32)


def explained(transcript: str, expected: str, free_start: bool = False) -> tuple[int, int]:
    """How much of `transcript` the `expected` text explains: (its letters explained, the expected
    text's letters they cover), plain letters without spaces. The transcript is aligned to a prefix
    of the expected text (from its start, or from anywhere with `free_start`: a transcript of the
    last window only) scoring +1 a letter matched and -1 a mismatch or a gap; a suffix of the
    transcript is left unexplained, at UNEXPLAINED_SCORE a letter, where aligning it would score
    less. Whisper's slips cost a few letters; another verse's text, its whole length."""
    t, e = _letters(transcript), _letters(expected)
    m = len(e)
    ar = np.arange(m + 1, dtype=float)
    row = np.zeros(m + 1) if free_start else -ar
    best_score, best_i, best_j = float(row.max()) + UNEXPLAINED_SCORE * len(t), 0, int(row.argmax())
    for i in range(1, len(t) + 1):
        new = np.full(m + 1, -np.inf)
        new[1:] = row[:-1] + np.where(e == t[i - 1], 1.0, -1.0)  # match or mismatch
        new = np.maximum(new, row - 1.0)  # a transcript letter the text lacks
        row = np.maximum.accumulate(new + ar) - ar  # text letters the transcript lacks
        j = int(row.argmax())
        score = float(row[j]) + UNEXPLAINED_SCORE * (len(t) - i)
        if score > best_score:
            best_score, best_i, best_j = score, i, j
    return best_i, best_j


def heard_score(al: Alignment, dur: float) -> float:
    """The alignment's score over the words heard so far (onset GUARD_SECONDS before the end): the
    geometric mean of their words' token probabilities (the words not recited yet, squeezed into
    the last frames, would drag the whole verse's score down)."""
    heard = [w.prob for w in al.words if w.word > 0 and w.start <= dur - GUARD_SECONDS]
    return float(np.exp(np.mean(np.log(np.clip(heard, 1e-9, 1.0))))) if heard else 0.0


class LiveChecker:
    """Verse mode on a growing recording. `given`: the verse(s) the learner recites (the Practise
    box's), as (surah, first, last); None: found from the audio."""

    def __init__(self, ensemble: Ensemble, transcriber: Transcriber, given: tuple[int, int, int] | None = None,
                 path: str | Path | None = None):
        self.ensemble = ensemble
        self.tr = transcriber
        self.given = given
        self.path = Path(path) if path is not None else None
        self._verse: tuple[int, int] | None = (given[0], given[1]) if given else None
        self._followed: list[tuple[int, int]] = [self._verse] if self._verse else []
        self._seg0 = 0  # first sample of the current verse's audio
        self._cache: dict = {}  # full Whisper windows of the current segment, by first sample
        self._basmala: bool | None = None
        self._ident_last: tuple[int, int] | None = None
        self._ident_runs = 0
        self._sites: dict[Key, LiveSite] = {}
        self._cuts: dict[Key, tuple[float, float]] = {}
        self._frozen: set[Key] = set()
        self._said: set[tuple[int, int]] = set()  # (ayah, word) said so far, as the transcript's length tells
        self._unexplained = 0  # the last transcript's letters that the text expected does not explain
        self._explained_word = -1  # index in the last alignment's words of the last word the transcript explains
        self._doubt_runs = 0  # updates in a row with REIDENTIFY_LETTERS unexplained
        self._re_last: tuple[int, int] | None = None  # the verse the audio after the explained words was found to be
        self._re_runs = 0
        self._rejected: dict[tuple[int, int], int] = {}  # verses given up, by the first sample of the audio they were given up on
        self._last_n = -1
        self._ended = False
        self._segment_s = 0.0
        self._state = LiveState(NO_RECITATION, False)

    # -- the state -------------------------------------------------------------------------

    def _make_state(self, status: str, heard: bool, word: int | None = None, changed=(), audio_s: float = 0.0) -> LiveState:
        v = self._verse
        order = {verse: k for k, verse in enumerate(self._followed)}  # recitation order (a verse recited again: where it was last)
        self._state = LiveState(status, heard, v[0] if v else None, v[1] if v else None, word,
                                tuple(sorted(self._sites.values(),
                                             key=lambda s: (order.get((s.result.surah, s.result.ayah), -1), s.result.surah,
                                                            s.result.ayah, s.result.site))),
                                tuple(changed), audio_s, tuple(self._followed), self._segment_s)
        return self._state

    @property
    def state(self) -> LiveState:
        return self._state

    # -- one update ------------------------------------------------------------------------

    def update(self, samples: np.ndarray, now_s: float | None = None, ended: bool = False) -> LiveState:
        """The state after hearing `samples` (the whole recording so far, 16 kHz mono). `now_s`:
        the caller's clock, kept with each verdict (default: the audio's length). `ended`: the
        recording has stopped, so the word after a deciding word heard will not come (its site is
        judged, cut to the end, as verse mode cuts a verse's last site)."""
        self._ended = ended
        x = _read_only(samples)
        now = x.shape[0] / SAMPLE_RATE if now_s is None else float(now_s)
        if not ended and self._last_n >= 0 and x.shape[0] - self._last_n < MIN_NEW_SECONDS * SAMPLE_RATE:
            return self._state
        self._last_n = x.shape[0]
        audio_s = x.shape[0] / SAMPLE_RATE
        heard_before = self._state.heard
        try:
            rec = self._segment(x)
        except TajweedError:  # silence, noise, too short: nothing to mark
            return self._make_state(self._state.status if heard_before else NO_RECITATION, heard_before, audio_s=audio_s)
        seg = x[self._seg0 :]
        off = self._seg0 / SAMPLE_RATE
        self._segment_s = rec.duration
        if float(rec.active.sum()) * FRAME_SECONDS < MIN_SPEECH_SECONDS:
            return self._make_state(self._state.status if heard_before else NO_RECITATION, heard_before, audio_s=audio_s)
        if self._verse is None:
            status = self._identify(rec)
            if self._verse is None:
                return self._make_state(status, True, audio_s=audio_s)
        if self._overlong(rec):  # the audio outgrew the verse (a verse not found, or updates far apart on a busy CPU)
            keep = max(0.0, rec.duration - IDENTIFY_MAX_SECONDS + 5.0)
            self._switch(None, keep)
            self._segment_s = rec.duration - keep
            return self._make_state("finding the verse", True, audio_s=audio_s)
        al = self._align(rec)
        s, v = self._verse
        dur = rec.duration
        again = self._reidentify(seg, rec, al)
        if again is not None:  # the learner says another verse: followed there (or being found)
            return self._make_state(again, True, audio_s=audio_s)
        if heard_score(al, dur) < ident.NO_VERSE_SCORE:  # the audio does not sound like the verse: mark nothing
            return self._make_state(f"{verse_label(s, v)}?", True, audio_s=audio_s)
        sound_end = (np.flatnonzero(rec.active)[-1] + 1) * FRAME_SECONDS if rec.active.any() else 0.0
        changed = self._judge_ready(seg, rec, al, off, dur, sound_end, now)
        word = next((w.word for w in reversed(al.words)
                     if w.ayah == v and w.word > 0 and w.start <= min(dur - GUARD_SECONDS / 2, sound_end)), None)
        status = verse_label(s, v)
        if self._move_on(al, rec, dur, sound_end):
            status = verse_label(*self._verse)
            word = None
        elif self._let_go(al, rec, dur):
            status, word = "finding the verse", None
        return self._make_state(status, True, word, changed, audio_s)

    def _segment(self, x: np.ndarray) -> Recording:
        """The audio the update looks at: the current verse's (from `_seg0`). While no verse is known
        it starts at the first sound (a learner who waits before reciting), and is kept under
        IDENTIFY_MAX_SECONDS by starting it at a later sound after a pause (talk before the
        recitation, or a verse that is not found, must not grow the work without bound)."""
        rec = recording_from_array(x[self._seg0 :], SAMPLE_RATE, self.path)
        if self._verse is not None or not rec.active.any():
            return rec
        start = float(np.argmax(rec.active)) * FRAME_SECONDS - SEGMENT_LEAD_SECONDS
        if rec.duration > IDENTIFY_MAX_SECONDS:
            later = rec.duration - IDENTIFY_MAX_SECONDS + 5.0
            start = max(start, (_sound_after_pause(rec, later) or later) - SEGMENT_LEAD_SECONDS)
        if start < 0.5:
            return rec
        self._seg0 += int(start * SAMPLE_RATE)
        self._cache = {}
        return recording_from_array(x[self._seg0 :], SAMPLE_RATE, self.path)

    def _overlong(self, rec: Recording) -> bool:
        """The current verse's audio is longer than the verse and the next could take
        (MAX_SECONDS_PER_LETTER): the work per update stays bounded by a verse's length."""
        s, v = self._verse
        limit = MAX_SECONDS_PER_LETTER * qwords.verses_letters(s, v, min(v + 1, text.verse_count(s))) + 10.0
        return rec.active_seconds() > limit or rec.duration > 2 * limit

    def _encoded(self, samples: np.ndarray, cache: dict) -> None:
        """The first window's encoding, padded only to PAD_SECONDS past the audio while the verse
        is shorter than a window (3-10 times faster than the 30 s window), into `cache`."""
        n = samples.shape[0]
        if 0 not in cache and n / SAMPLE_RATE + PAD_SECONDS < WINDOW_SAMPLES / SAMPLE_RATE:
            pad = np.ceil(n / SAMPLE_RATE + PAD_SECONDS)
            cache[0] = self.tr.encode(samples[:WINDOW_SAMPLES], pad_seconds=pad)

    def _identify(self, rec: Recording) -> str:
        """Which verse the learner has begun (`_best_verse`); taken when IDENTIFY_AGREE updates in a
        row name it."""
        cand = self._best_verse(rec, self._seg0)
        if cand is None:
            self._ident_last, self._ident_runs = None, 0
            return "finding the verse"
        self._ident_runs = self._ident_runs + 1 if cand == self._ident_last else 1
        self._ident_last = cand
        if self._ident_runs >= IDENTIFY_AGREE:
            self._verse = cand
            self._followed.append(cand)
            return verse_label(*cand)
        return f"finding the verse ({verse_label(*cand)}?)"

    def _best_verse(self, rec: Recording, start: int) -> tuple[int, int] | None:
        """The verse `rec` opens with: the transcript against every verse's opening
        (`identify.opening_candidates`), the best few aligned to the audio and ranked by the
        opening's cosine times the alignment's score over the words heard; None below
        NO_VERSE_SCORE. `start`: the first sample of its audio in the recording (a verse given up
        on that audio is not named again)."""
        cache: dict = {}
        self._encoded(rec.samples, cache)
        enc = cache.get(0) or cache.setdefault(0, self.tr.encode(rec.samples))
        transcript, _ = self.tr.generate(enc)
        dur = rec.duration
        ranked = []
        rejected = {v for v, at in self._rejected.items() if abs(at - start) < SAMPLE_RATE}
        for c in [c for c in ident.opening_candidates(transcript) if (c.surah, c.first_ayah) not in rejected][:IDENTIFY_ALIGN]:
            if c.text_score < MIN_OPENING_COSINE:
                continue
            al = align_verses(self.tr, rec.samples, c.surah, c.first_ayah, transcript=transcript, cache=cache)
            score = heard_score(al, dur)
            ranked.append((c.text_score * score, score, (c.surah, c.first_ayah)))
        ranked.sort(reverse=True)
        if not ranked or ranked[0][1] < ident.NO_VERSE_SCORE:
            return None
        return ranked[0][2]

    def _align(self, rec: Recording) -> Alignment:
        s, v = self._verse
        last = min(v + 1, text.verse_count(s))  # the next verse too: the learner may go on
        n = rec.samples.shape[0]
        cache = {a: e for a, e in self._cache.items() if a + WINDOW_SAMPLES <= n}
        self._encoded(rec.samples, cache)
        # what has been said so far, as the decoder transcribes it (the last window when longer)
        a_last = max(0, (n - 1) // WINDOW_SAMPLES * WINDOW_SAMPLES) if n > WINDOW_SAMPLES else 0
        enc = cache.get(a_last) or cache.setdefault(a_last, self.tr.encode(rec.samples[a_last : a_last + WINDOW_SAMPLES]))
        transcript, _ = self.tr.generate(enc)
        basmala = False
        if self._basmala is not False and qwords.has_basmala(s, v):
            if self._basmala is not None:
                basmala = self._basmala
            else:  # as verse mode decides it: the transcript of the recording's start
                basmala = basmala_heard(self.tr, rec.samples, transcript)
                if len(qwords.plain(transcript).split()) >= 3:  # enough heard to decide for good
                    self._basmala = basmala
        al = align_verses(self.tr, rec.samples, s, v, last, basmala=basmala, cache=cache)
        self._cache = {a: e for a, e in cache.items() if a + WINDOW_SAMPLES <= n}
        # the words said so far: as many letters as the transcript holds (and some slack); the
        # alignment spreads the words not said yet over short audio, so its onsets alone cannot tell
        letters = np.cumsum([qwords.letter_count(w.text) for w in al.words])
        said = qwords.letter_count(transcript) * SAID_SLACK + SAID_EXTRA_LETTERS
        if n > WINDOW_SAMPLES:  # the transcript covers the last window only: the words before it are said
            # (every word starting before the last window: all are said; the index stops at the last)
            k = int(np.searchsorted([w.start for w in al.words], a_last / SAMPLE_RATE))
            said += float(letters[min(k, len(letters) - 1)] if al.words else 0)
        # ... and no further than the text explains the transcript (`explained`): when the learner
        # says another verse, the alignment spreads this one's words over it and they are not said
        t_letters = qwords.letter_count(transcript)
        first = 0  # past 30 s the transcript is the last window's: the words that end before it are not looked for in it
        if n > WINDOW_SAMPLES:
            first = next((i for i, w in enumerate(al.words) if w.end >= a_last / SAMPLE_RATE - WINDOW_LEAD_SECONDS), 0)
        t_explained, e_explained = explained(transcript, " ".join(w.text for w in al.words[first:]), free_start=n > WINDOW_SAMPLES)
        e_explained += int(letters[first - 1]) if first > 0 else 0
        self._unexplained = t_letters - t_explained
        self._explained_word = int(np.searchsorted(letters, e_explained)) if e_explained > 0 else -1
        if self._unexplained >= DOUBT_LETTERS:
            said = min(said, e_explained + SAID_EXTRA_LETTERS)
        self._said = {(w.ayah, w.word) for w, c in zip(al.words, letters) if c <= said}
        return al

    def _reidentify(self, seg: np.ndarray, rec: Recording, al: Alignment) -> str | None:
        """When the transcript goes on past what the current verse and the next explain
        (REIDENTIFY_LETTERS in REIDENTIFY_RUNS updates in a row), the audio after the last word
        explained is identified as a verse of its own (`_best_verse`); when IDENTIFY_AGREE updates
        in a row name the same verse, the learner is followed there (`_switch`). The status while
        finding it, the new verse's once followed; None while the current verse holds."""
        if self._unexplained < REIDENTIFY_LETTERS:
            self._doubt_runs, self._re_last, self._re_runs = 0, None, 0
            return None
        self._doubt_runs += 1
        if self._doubt_runs < REIDENTIFY_RUNS:
            return None
        split = self._split(rec, al)
        # every word expected is explained (a surah's last verse, which has no next verse to move
        # on to) and the learner goes on: the verse is done, what follows is found afresh from its
        # own first sound. Looking for it in the tail instead kept the verse while its audio grew:
        # husary's 82:19 then 109 held 56 s of audio before 109:5 was found (test_live_long).
        finished = self._all_explained(al) and split > 0.0
        if finished or self._doubt_runs >= REIDENTIFY_GIVE_UP:  # not found while the audio grows: give the verse up
            if split == 0.0:  # none of its words explained: it was the wrong verse, not to be named again for this audio
                self._rejected[self._verse] = self._seg0
            self._switch(None, split)
            return "finding the verse"
        try:
            tail = recording_from_array(seg[int(split * SAMPLE_RATE) :], SAMPLE_RATE, self.path)
        except TajweedError:
            return None
        if tail.active_seconds() < MIN_SPEECH_SECONDS:
            return None
        cand = self._best_verse(tail, self._seg0 + int(split * SAMPLE_RATE))
        if cand is None:
            self._re_last, self._re_runs = None, 0
            return None
        self._re_runs = self._re_runs + 1 if cand == self._re_last else 1
        self._re_last = cand
        if self._re_runs < IDENTIFY_AGREE:
            return f"{verse_label(*self._verse)}, or {verse_label(*cand)}?"
        if cand == self._verse and split == 0.0:  # the verse the audio was taken for after all
            self._doubt_runs, self._re_last, self._re_runs = 0, None, 0
            return None
        self._switch(cand, split)
        return verse_label(*cand)

    def _split(self, rec: Recording, al: Alignment) -> float:
        """Where the audio that the current verse does not explain starts (seconds into the
        segment): the first sound after a pause of SPLIT_PAUSE_SECONDS after the onset of the last
        word the transcript explains (a learner going to another verse draws breath), else the
        aligned onset of the word after it; the segment's start when no word is explained."""
        k = self._explained_word
        if k < 0 or not al.words:
            return 0.0
        k = min(k, len(al.words) - 1)
        t = _sound_after_pause(rec, al.words[k].start + 0.1)
        if t is None:
            t = al.words[k + 1].start if k + 1 < len(al.words) else al.words[k].end
        return float(max(0.0, t - SEGMENT_LEAD_SECONDS))

    def _switch(self, verse: tuple[int, int] | None, split: float) -> None:
        """Follow the learner to `verse`, recited from `split` seconds into the current segment on
        (None: not known; the audio from there is identified afresh). The verdicts given on that
        audio for the verse it was taken for are withdrawn, the others stay as they are; the new
        verse's sites (and its next verse's) are judged afresh (a verse recited again is judged
        again)."""
        split_abs = self._seg0 / SAMPLE_RATE + split
        for key, site in list(self._sites.items()):
            if key not in self._frozen and site.result.start >= split_abs:
                del self._sites[key]
                self._cuts.pop(key, None)
        self._frozen.update(self._sites)
        s, v = self._verse
        self._frozen.update((st.surah, st.ayah, st.word) for st in text.sites(s, v))
        if verse is not None:
            self._thaw(verse)
            self._followed.append(verse)
        self._seg0 += int(split * SAMPLE_RATE)
        self._verse = verse
        self._ident_last, self._ident_runs = None, 0
        self._cache = {}
        self._basmala = None  # a surah's first verse: the Basmala may come first
        self._said = set()
        self._unexplained, self._explained_word = 0, -1
        self._doubt_runs, self._re_last, self._re_runs = 0, None, 0

    def _thaw(self, verse: tuple[int, int]) -> None:
        """The sites of `verse` and the verse after it may be judged (again)."""
        s, v = verse
        for ayah in range(v, min(v + 1, text.verse_count(s)) + 1):
            for st in text.sites(s, ayah):
                self._frozen.discard((s, ayah, st.word))
                self._cuts.pop((s, ayah, st.word), None)

    def _judge_ready(self, seg: np.ndarray, rec: Recording, al: Alignment, off: float, dur: float,
                     sound_end: float, now: float) -> list[Key]:
        paused = dur - sound_end >= END_SILENCE_SECONDS or self._ended
        todo, cuts = [], {}
        for site, start, end, junction in vm.site_spans(al):
            key = (site.surah, site.ayah, site.word)
            if key in self._frozen:
                continue
            deciding = junction if junction is not None else start
            nxt = site.word if site.next_token == site.token else site.word + 1
            if deciding > sound_end - vm.NOT_RECITED_SECONDS or (site.ayah, nxt) not in self._said:
                continue  # the deciding word is not heard yet
            if end is not None and not self._said_after(al, site.ayah, nxt):
                end_heard = False
            else:
                end_heard = end is None or end <= dur - GUARD_SECONDS
            if end is not None and not end_heard:
                if not paused or rec.active_seconds(deciding, dur) < DECIDING_SOUND_SECONDS:
                    continue  # the word after the deciding word is not heard yet
                end = None  # the learner stopped after the deciding word: cut to the end, as verse mode does
            a = max(0.0, start - CUT_MARGIN_SECONDS)
            b = min(end + CUT_MARGIN_SECONDS, dur) if end is not None else min(dur, sound_end + CUT_MARGIN_SECONDS)
            old = self._cuts.get(key)
            if old is not None and abs(old[0] - (a + off)) <= RECUT_SECONDS and abs(old[1] - (b + off)) <= RECUT_SECONDS:
                continue
            todo.append((site, start, end, junction))
            cuts[key] = (a + off, b + off)
        if not todo:
            return []
        changed = []
        for r in vm.judge_sites(self.ensemble, seg, rec, al, spans=todo):
            if r.outcome == "not recited":
                continue
            key = (r.surah, r.ayah, r.site)
            r = replace(r, start=r.start + off, end=r.end + off)
            prev = self._sites.get(key)
            if prev is None:
                self._sites[key] = LiveSite(r, now, now, r.outcome)
            else:
                self._sites[key] = replace(prev, result=r, at=now, revisions=prev.revisions + 1)
            self._cuts[key] = cuts[key]
            changed.append(key)
        return changed

    def _said_after(self, al: Alignment, ayah: int, word: int) -> bool:
        """Whether the word after (ayah, word) in the aligned text has been said."""
        order = [(w.ayah, w.word) for w in al.words if w.word > 0]
        k = order.index((ayah, word))
        return k + 1 < len(order) and order[k + 1] in self._said

    def _move_on(self, al: Alignment, rec: Recording, dur: float, sound_end: float) -> bool:
        """Follow the learner to the next verse once its first words are heard."""
        s, v = self._verse
        if al.last_ayah == v:
            return False
        w1 = al.onset(v + 1, 1)
        w2 = al.onset(v + 1, 2)
        seen = w2 if w2 is not None else w1
        if (v + 1, 1) not in self._said or w1 is None or seen > dur - GUARD_SECONDS or w1 > sound_end - vm.NOT_RECITED_SECONDS:
            return False
        if rec.active_seconds(w1, dur) < MOVE_ON_SOUND_SECONDS:
            return False
        # the alignment puts words not recited yet anywhere in a trailing silence: the transcript of
        # what follows the next verse's first onset must match that verse's opening
        tail = rec.samples[int(max(0.0, w1 - 0.1) * SAMPLE_RATE) :]
        said, _ = self.tr.generate(self.tr.encode(tail, pad_seconds=np.ceil(tail.shape[0] / SAMPLE_RATE + PAD_SECONDS)))
        closing = " ".join(qwords.verse_words(s, v)[-3:])  # ... better than the current verse's last words
        opening = ident.opening_cosine(said, s, v + 1)
        if opening < MIN_OPENING_COSINE or opening <= ident.text_cosine(said, closing):
            return False
        self._frozen.update(k for k in self._sites if (k[0], k[1]) == (s, v))
        self._frozen.update((st.surah, st.ayah, st.word) for st in text.sites(s, v))
        self._thaw((s, v + 1))
        self._seg0 += int(max(0.0, w1 - SEGMENT_LEAD_SECONDS) * SAMPLE_RATE)
        self._verse = (s, v + 1)
        self._followed.append(self._verse)
        self._cache = {}
        self._basmala = False
        self._doubt_runs, self._re_last, self._re_runs = 0, None, 0
        return True

    def _all_explained(self, al: Alignment) -> bool:
        """The last transcript explains every word of the text aligned (`explained`)."""
        return bool(al.words) and self._explained_word >= len(al.words) - 1

    def _let_go(self, al: Alignment, rec: Recording, dur: float) -> bool:
        """A surah's last verse said to its end (the transcript explains every word), then a pause
        and MOVE_ON_SOUND_SECONDS of sound: what follows is another surah (or the verse again),
        found afresh from that sound, as `_move_on` follows a verse to the next. Waiting for the
        transcript to go on past the verse instead (`_reidentify`) took 10 s on husary's 82:19
        then 109:1: by then 109:1 was over, and its audio, run on into 109:2, was taken for 109:2."""
        s, v = self._verse
        if v != text.verse_count(s) or not self._all_explained(al):
            return False
        t = _sound_after_pause(rec, al.words[-1].start + 0.1)
        if t is None or rec.active_seconds(t, dur) < MOVE_ON_SOUND_SECONDS:
            return False
        self._switch(None, max(0.0, t - SEGMENT_LEAD_SECONDS))
        return True

    # -- the end ---------------------------------------------------------------------------

    def finish(self, samples: np.ndarray) -> LiveReport:
        """The whole recording checked once more as verse mode does it (`check_verse_samples`),
        each site's live verdict beside the final one (the final one stands)."""
        x = _read_only(samples)
        final = vm.check_verse_samples(self.ensemble, self.tr, x, self.path, final_given(self.given, self._state))
        return LiveReport(final, compare(final, self._state), self._state)

    def serve(self, mailbox: LatestAudio, emit: Callable[[LiveState], None],
              should_stop: Callable[[], bool] = lambda: False) -> None:
        """The worker's loop: take the newest audio, update, emit the state; until the mailbox is
        closed and empty, or `should_stop()`."""
        while not should_stop():
            item = mailbox.take(timeout=0.5)
            if item is None:
                if mailbox.closed:
                    return
                continue
            emit(self.update(*item))


def _sound_after_pause(rec: Recording, t: float) -> float | None:
    """The time of the first sound after `t` (s) that follows at least SPLIT_PAUSE_SECONDS of pause."""
    f0 = max(0, int(t / FRAME_SECONDS))
    sound = np.flatnonzero(rec.active[f0:])
    quiet_before = sound - np.concatenate([[-1], sound[:-1]]) - 1  # pause frames before each frame of sound
    after = np.flatnonzero(quiet_before >= int(round(SPLIT_PAUSE_SECONDS / FRAME_SECONDS)))
    return (f0 + int(sound[after[0]])) * FRAME_SECONDS if after.size else None


def final_given(given: tuple[int, int, int] | None, state: LiveState) -> tuple[int, int, int] | None:
    """The verses the final pass checks: the verse given (the Practise box's), through the last one
    the learner was followed to live; None (found from the audio) when none was given."""
    if given is None or not state.verses:
        return given
    surahs = {s for s, _ in state.verses}
    ayahs = [a for _, a in state.verses]
    if surahs != {given[0]} or ayahs != list(range(given[1], given[1] + len(ayahs))):
        return None  # the learner went to another verse than the next: the final pass finds them from the audio
    return (given[0], given[1], max(given[2], state.verses[-1][1]))


def compare(final: vm.VerseResult, state: LiveState) -> tuple[SiteComparison, ...]:
    """Each site of the final pass beside its live verdict (in `state`), then the sites judged live
    that the final pass does not have. For a caller that runs the final pass itself (the app runs
    verse mode on the saved file); `LiveChecker.finish` is this after `check_verse_samples`."""
    live = {s.key: s for s in state.sites}
    pairs = [SiteComparison(r, live.pop((r.surah, r.ayah, r.site), None)) for r in final.sites]
    pairs += [SiteComparison(None, s) for s in live.values()]
    return tuple(pairs)


# -- replay at real time (tajweed-check --verses --simulate-live, tools/live_eval.py) ------------

LIVE_COLUMNS = vm.COLUMNS + ["delay_s", "live_heard", "live_rule", "live_revisions"]


@dataclass
class Replay:
    report: LiveReport | None  # None: replayed without the final pass
    duration: float
    updates: int
    compute_s: float  # the live updates' compute, all together
    finish_s: float  # the final pass's compute
    end_clock: float  # the simulated clock when the last live update returned
    appeared: dict[Key, float] = field(default_factory=dict)  # clock when each site's first live verdict appeared
    states: list[LiveState] = field(default_factory=list)
    sound_end: float = 0.0  # where the recording's sound ends (the last word's end, for the delay)


def replay(ensemble: Ensemble, tr: Transcriber, samples: np.ndarray, given: tuple[int, int, int] | None = None,
           path: str | Path | None = None, chunk_s: float = 0.25, keep_states: bool = False,
           clock: Callable[[], float] = time.perf_counter, final: bool = True,
           on_update: Callable[[LiveState, float], None] | None = None) -> Replay:
    """Play `samples` to a LiveChecker as a recorder would, on a simulated clock, without sleeping.

    The recorder delivers audio in blocks of `chunk_s`: at clock t the audio recorded is
    floor(t / chunk_s) blocks (all of it once t reaches the end). One worker takes the newest
    audio whenever it is free ('latest wins'): an update starts at clock t with the audio recorded
    by t, and the clock moves on by the update's measured compute time (wall time on this
    machine, `clock`), so the audio that arrived meanwhile is what the next update sees and
    nothing waits in a queue. A free worker with no new block waits for the next one. A verdict
    appears at the clock when the update that gave it returned. When the recording ends the last
    update takes all of it (`ended`); then `finish` runs the final pass (its time is reported apart;
    `final=False`: not run). `on_update(state, spent)` is called after each update."""
    x = np.asarray(samples, dtype=np.float32)
    n = x.shape[0]
    duration = n / SAMPLE_RATE
    checker = LiveChecker(ensemble, tr, given, path)
    block = max(1, int(round(chunk_s * SAMPLE_RATE)))
    t, fed, updates, compute = 0.0, 0, 0, 0.0
    appeared: dict[Key, float] = {}
    states = []
    while True:
        have = n if t >= duration else min(n, int(t * SAMPLE_RATE) // block * block)
        if have <= fed:  # nothing new: the worker waits for the next block
            t = min(duration, (fed // block + 1) * block / SAMPLE_RATE)
            continue
        t0 = clock()
        state = checker.update(x[:have], now_s=t, ended=have >= n)
        spent = clock() - t0
        t, fed = t + spent, have
        for key in state.changed:
            appeared.setdefault(key, t)
        updates += 1
        compute += spent
        if on_update is not None:
            on_update(state, spent)
        if keep_states:
            states.append(state)
        if have >= n:
            break
    end_clock = t
    t0 = clock()
    report = checker.finish(x) if final else None
    finish_s = clock() - t0
    sound_end = duration
    if final:  # where the sound ends, for the delays (`live_rows`): the voice detector over the whole recording
        try:
            rec = recording_from_array(x, SAMPLE_RATE)
            sound_end = (np.flatnonzero(rec.active)[-1] + 1) * FRAME_SECONDS if rec.active.any() else duration
        except TajweedError:
            pass
    return Replay(report, duration, updates, compute, finish_s, end_clock, appeared, states, sound_end)


def _deciding_end(al: Alignment | None, surah: int, ayah: int, word: int, sound_end: float) -> float | None:
    """The end, in the final alignment, of the word after the site (the word that decides its rule;
    for a site inside a word, that word), or the end of the sound when that is earlier (the last
    word's alignment runs to the end of the recording): the moment the delay is counted from."""
    if al is None:
        return None
    site = next((s for s in text.sites(surah, ayah) if s.word == word), None)
    if site is None:
        return None
    deciding = word if site.next_token == site.token else word + 1
    end = next((w.end for w in al.words if (w.ayah, w.word) == (ayah, deciding)), None)
    return None if end is None else min(end, sound_end)


def live_rows(rp: Replay, name: str | None = None) -> list[dict]:
    """verses.rows of the final pass, each with the live verdict beside it: `delay_s` (seconds from
    the end of the word after the site, in the final alignment, to the live verdict's first
    appearance), `live_heard` (the live outcome, as the learner saw it last before the end),
    `live_rule` (the rule heard live) and `live_revisions` (times it was judged again)."""
    final = rp.report.final
    out = []
    by_key = {(c.final.surah, c.final.ayah, c.final.site): c.live for c in rp.report.sites if c.final is not None}
    for row in vm.rows(final, name):
        extra = {"delay_s": "", "live_heard": "", "live_rule": "", "live_revisions": ""}
        if row["site"] != "":
            live = by_key.get((int(row["surah"]), int(row["ayah"]), int(row["site"])))
            if live is not None:
                ref = _deciding_end(final.alignment, live.result.surah, live.result.ayah, live.result.site, rp.sound_end)
                p = live.result.prediction
                shown = rp.appeared.get(live.key, live.first_at)
                extra = {"delay_s": round(shown - ref, 3) if ref is not None else "",
                         "live_heard": live.result.outcome, "live_rule": p.top_rule if p else "",
                         "live_revisions": live.revisions}
        out.append({**row, **extra})
    for c in rp.report.sites:
        if c.final is None and c.live is not None:  # judged live, not by the final pass
            r = c.live.result
            out.append({**{k: "" for k in LIVE_COLUMNS}, "file": name or str(final.path), "surah": r.surah,
                        "ayah": r.ayah, "site": r.site, "word": r.word, "next_word": r.next_word,
                        "outcome": "", "error": "judged live only: the final pass did not find this site",
                        "live_heard": r.outcome, "live_rule": r.prediction.top_rule if r.prediction else "",
                        "live_revisions": c.live.revisions})
    return out
