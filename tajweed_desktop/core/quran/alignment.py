"""Where each word of a known verse (or run of verses) is spoken in a recording: Whisper base's
decoder forced along the verse's words (CTranslate2's `align`, the cross-attention heads the model
names in its config), window by window for recordings longer than Whisper's 30 s.

Each word is tokenised on its own (with the space before it), so the tokens of word k are known
and its onset is where the alignment path first reaches its first token. The Basmala that the
text carries before verse 1 (surahs other than 1 and 9) is recited or not as the transcript of the
recording's start says (`basmala_heard`): the decoder's token probabilities cannot tell, since
the Basmala is so predictable a text that its tokens score well over any sound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.model.transcriber import WINDOW_SECONDS, Transcriber
from tajweed_desktop.core.quran import words as qwords

WINDOW_KEEP_MARGIN = 3.0  # words ending this close to a window's end are aligned again in the next window
WINDOW_BACKOFF = 0.3  # the next window starts this much before the first word not yet kept
WINDOW_SLACK = 1.2
MAX_TOKENS = 440  # text tokens per window: Whisper's decoder has 448 positions, 4 go to the start sequence  # a window is given 20% more text than its share of the recording's letters


@dataclass(frozen=True)
class WordTiming:
    surah: int
    ayah: int
    word: int  # 1-based, as the site table numbers it; 0 for the Basmala's words
    text: str
    start: float  # seconds into the recording
    end: float
    prob: float  # mean probability of its tokens under the decoder


@dataclass(frozen=True)
class Alignment:
    surah: int
    first_ayah: int
    last_ayah: int
    words: tuple[WordTiming, ...]  # every word of the verses, in order (the Basmala's first when recited)
    score: float  # geometric mean of the token probabilities of the verses' words, 0..1
    basmala: bool  # the Basmala was heard before verse 1
    duration: float

    def verse_words(self, ayah: int) -> list[WordTiming]:
        return [w for w in self.words if w.ayah == ayah and w.word > 0]

    def onset(self, ayah: int, word: int) -> float | None:
        return next((w.start for w in self.words if w.ayah == ayah and w.word == word), None)

    @property
    def label(self) -> str:
        return verse_label(self.surah, self.first_ayah, self.last_ayah)


def verse_label(surah: int, first: int, last: int | None = None) -> str:
    return f"{surah}:{first}" if last is None or last == first else f"{surah}:{first}-{last}"


def _align_window(tr: Transcriber, samples: np.ndarray, tokens: list[list[int]], a: int = 0,
                  cache: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per word: start, end (s within the window) and the log-probabilities summed. `cache` keeps
    each window's encoding by its first sample, so several texts aligned over one recording
    (identification's candidates) encode it once."""
    flat = [t for ws in tokens for t in ws]
    if cache is None:
        enc = tr.encode(samples)
    else:
        enc = cache.get(a) or cache.setdefault(a, tr.encode(samples))
    ta = tr.align(enc, flat)
    bounds = np.cumsum([0] + [len(ws) for ws in tokens])
    starts = ta.starts[bounds[:-1]]
    ends = np.append(ta.starts[bounds[1:-1]], ta.ends[-1])
    logp = np.log(np.clip(ta.probs, 1e-9, 1.0))
    word_logp = np.array([logp[a:b].sum() for a, b in zip(bounds[:-1], bounds[1:])])
    return starts, ends, word_logp


def align_words(tr: Transcriber, samples: np.ndarray, words: list[str], cache: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start and end (s) of each word over the whole recording, its summed token log-probability
    and its token count. Longer than 30 s: window by window, each given its share of the words
    (by letters), keeping the words that end well before the window's end."""
    tokens = [tr.tokenizer.encode(" " + w) for w in words]
    n = len(words)
    counts = np.array([len(t) for t in tokens], float)
    starts, ends, logp = np.zeros(n), np.zeros(n), np.zeros(n)
    duration = samples.shape[0] / SAMPLE_RATE
    letters = np.array([max(1, len(qwords.plain(w))) for w in words], float)
    i, t0 = 0, 0.0
    while i < n:
        a = int(t0 * SAMPLE_RATE)
        window = samples[a : a + int(WINDOW_SECONDS * SAMPLE_RATE)]
        last = t0 + WINDOW_SECONDS >= duration
        if last:
            j = n
        else:  # this window's share of the letters left, and some slack
            share = letters[i:].sum() * WINDOW_SECONDS / max(duration - t0, 1e-6) * WINDOW_SLACK
            j = i + max(1, int(np.searchsorted(np.cumsum(letters[i:]), share, side="right")))
            j = min(j, n)
        fits = i + max(1, int(np.searchsorted(np.cumsum(counts[i:j]), MAX_TOKENS, side="right")))
        if fits < j:  # the decoder reads at most 448 positions: fewer words, and this window is not the last
            j, last = fits, False
        s, e, lp = _align_window(tr, window, tokens[i:j], a, cache)
        if last or j == n and e[-1] < WINDOW_SECONDS - WINDOW_KEEP_MARGIN:
            keep = j - i
        else:
            keep = max(1, int(np.sum(e < WINDOW_SECONDS - WINDOW_KEEP_MARGIN)))
            keep = min(keep, j - i - 1) if j - i > 1 else keep  # the last word given may be cut short
        starts[i : i + keep] = s[:keep] + t0
        ends[i : i + keep] = e[:keep] + t0
        logp[i : i + keep] = lp[:keep]
        if i + keep < n:  # on from the first word not kept (every word given kept: from the last one's end)
            resume = s[keep] if keep < len(s) else e[keep - 1]
            t0 = max(t0 + 1.0, t0 + resume - WINDOW_BACKOFF)
        i += keep
    return starts, ends, logp, counts


def basmala_heard(tr: Transcriber, samples: np.ndarray, transcript: str | None = None) -> bool:
    """Whether the recording opens with the Basmala: its first words, transcribed, are "بسم الله"."""
    if transcript is None:
        transcript, _ = tr.generate(tr.encode(samples[: int(WINDOW_SECONDS * SAMPLE_RATE)]))
    return qwords.plain(transcript).split()[:2] == ["بسم", "الله"]


def align_verses(tr: Transcriber, samples: np.ndarray, surah: int, first: int, last: int | None = None,
                 basmala: bool | None = None, transcript: str | None = None, cache: dict | None = None) -> Alignment:
    """The words of verses first..last of a surah over the recording. `basmala`: whether the
    Basmala is recited before verse 1 (None: as `basmala_heard` says, from `transcript` when given:
    the greedy transcript of the recording's first 30 s)."""
    last = first if last is None else last
    entries: list[tuple[int, int, str]] = [
        (ayah, k, w) for ayah in range(first, last + 1) for k, w in enumerate(qwords.verse_words(surah, ayah), 1)
    ]
    with_basmala = False
    if qwords.has_basmala(surah, first):
        with_basmala = basmala_heard(tr, samples, transcript) if basmala is None else bool(basmala)
    options = [with_basmala]
    best: Alignment | None = None
    duration = samples.shape[0] / SAMPLE_RATE
    for with_basmala in options:
        pre = [(first, 0, w) for w in qwords.basmala()] if with_basmala else []
        seq = pre + entries
        s, e, lp, c = align_words(tr, samples, [w for _, _, w in seq], cache)
        verse = slice(len(pre), None)  # the score of the verses' own words, so both ways compare
        score = float(np.exp(lp[verse].sum() / max(c[verse].sum(), 1)))
        words = tuple(
            WordTiming(surah, ayah, k, w, float(s[i]), float(e[i]), float(np.exp(lp[i] / max(c[i], 1))))
            for i, (ayah, k, w) in enumerate(seq)
        )
        cand = Alignment(surah, first, last, words, score, with_basmala, duration)
        if best is None or cand.score > best.score:
            best = cand
    assert best is not None
    return best
