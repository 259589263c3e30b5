"""Whisper base's decoder, from the same loaded weights as the encoder (`frontend.shared_encoder`):
language detection, Arabic transcription and forced alignment of a known text.

Whisper reads 30 s windows; a shorter recording is zero-padded to 30 s (as Whisper was trained),
a longer one is cut into windows by the caller (core/quran/alignment.py, identify.py). Each window
is encoded once and the encoder's output is given to `detect_language`, `generate` and `align`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.model import frontend, logmel
from tajweed_desktop.core.model.tokenizer import WhisperTokenizer, shared_tokenizer

WINDOW_SECONDS = 30.0
WINDOW_SAMPLES = int(WINDOW_SECONDS * SAMPLE_RATE)
FRAMES_PER_SECOND = 50  # encoder frames (alignment time steps) per second
MEL_PER_SECOND = 100


@dataclass(frozen=True)
class Encoded:
    """One window encoded: the encoder output and how much of the window is sound (not padding)."""

    output: object  # ctranslate2.StorageView, (1, 1500, 512)
    seconds: float


@dataclass(frozen=True)
class TokenAlignment:
    """Per text token: the time (s, within the window) where it starts and ends, and its probability."""

    starts: np.ndarray
    ends: np.ndarray
    probs: np.ndarray


class Transcriber:
    """The decoder side of the shared Whisper model. Thread-safe: calls take turns on the encoder's lock."""

    def __init__(self, encoder: frontend.WhisperEncoder | None = None, tokenizer: WhisperTokenizer | None = None):
        self.encoder = encoder or frontend.shared_encoder("cpu")
        self.tokenizer = tokenizer or shared_tokenizer()
        self._model, self._lock = self.encoder.whisper()
        import ctranslate2

        self._sv = ctranslate2.StorageView

    def encode(self, samples: np.ndarray, pad_seconds: float = WINDOW_SECONDS) -> Encoded:
        """Up to 30 s of 16 kHz samples, zero-padded to 30 s and encoded. `pad_seconds`: pad to
        this many seconds instead (no fewer than the samples); live mode encodes the few seconds
        heard so far this way, 3-10 times faster, and aligns them to within 0.02 s of the 30 s
        window for most words (core/checking/live.py)."""
        x = np.asarray(samples, dtype=np.float32)[:WINDOW_SAMPLES]
        length = min(WINDOW_SAMPLES, max(x.shape[0], int(round(pad_seconds * SAMPLE_RATE))))
        padded = np.zeros(length, np.float32)
        padded[: x.shape[0]] = x
        mel = np.ascontiguousarray(logmel.log_mel(padded[None]))
        with self._lock:
            out = self._model.encode(self._sv.from_array(mel), to_cpu=True)
        return Encoded(out, x.shape[0] / SAMPLE_RATE)

    def detect_language(self, enc: Encoded) -> list[tuple[str, float]]:
        """Languages, most probable first, as ISO codes ("ar", "en", ...)."""
        with self._lock:
            pairs = self._model.detect_language(enc.output)[0]
        return [(tok.strip("<|>"), float(p)) for tok, p in pairs]

    def generate(self, enc: Encoded, language: str = "ar", max_length: int = 224, beam_size: int = 1) -> tuple[str, float]:
        """Transcription of the window in `language` (greedy, or the best of a beam search): the text
        and its mean token log-probability."""
        prompt = self.tokenizer.sot_sequence(language)
        with self._lock:
            res = self._model.generate(enc.output, [prompt], beam_size=beam_size, max_length=max_length,
                                       return_scores=True, repetition_penalty=1.1, no_repeat_ngram_size=4)[0]
        ids = res.sequences_ids[0]
        return self.tokenizer.decode(ids).strip(), float(res.scores[0]) if res.scores else float("nan")

    def align(self, enc: Encoded, tokens: list[int], language: str = "ar") -> TokenAlignment:
        """Where each of `tokens` (the known text, tokenised) is spoken in the window."""
        if not tokens:
            return TokenAlignment(np.zeros(0), np.zeros(0), np.zeros(0))
        num_frames = max(1, int(round(enc.seconds * MEL_PER_SECOND)))
        with self._lock:
            res = self._model.align(enc.output, self.tokenizer.sot_sequence(language), [tokens], num_frames,
                                    median_filter_width=7)[0]
        n = len(tokens)
        if not res.alignments:  # no path at all (seen aligning candidates to 109:1 read by Shuraim, 2.8 s): nothing placed, nothing probable
            return TokenAlignment(np.zeros(n), np.zeros(n), np.zeros(n))
        text_idx = np.array([p[0] for p in res.alignments])
        time_idx = np.array([p[1] for p in res.alignments])
        # as faster-whisper reads it: a token starts where the path first reaches it
        jumps = np.pad(np.diff(text_idx), (1, 0), constant_values=1).astype(bool)
        jump_times = time_idx[jumps] / FRAMES_PER_SECOND
        if jump_times.shape[0] < n + 1:  # the path ended early: the rest start where it ended
            last = jump_times[-1] if jump_times.size else 0.0
            jump_times = np.concatenate([jump_times, np.full(n + 1 - jump_times.shape[0], last)])
        probs = np.zeros(n)
        given = np.asarray(res.text_token_probs, dtype=np.float64)[:n]
        probs[: given.shape[0]] = given
        return TokenAlignment(jump_times[:n], jump_times[1 : n + 1], probs)
