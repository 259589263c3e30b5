"""The model's inputs cut from a prepared recording: the recipe's 4 s clip (centre crop or zero
pad, after trimming the silence at the edges) and the timeline's sliding windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tajweed_desktop.core.audio.formats import CLIP_SAMPLES
from tajweed_desktop.core.audio.levels import (
    FRAME_SECONDS,
    TARGET_RMS_DBFS,
    db_to_amp,
    frame_rms,
    speech_level,
)
from tajweed_desktop.core.audio.recording import Recording


@dataclass(frozen=True)
class Window:
    start: float  # seconds into the recording
    end: float
    samples: np.ndarray  # (CLIP_SAMPLES,) float32





def clip_start(n_samples: int, length: int = CLIP_SAMPLES) -> int:
    """Where the recipe's centre crop starts (0 when the recording is not longer than a clip)."""
    return max(0, (n_samples - length) // 2)


def fixed_clip(samples: np.ndarray, length: int = CLIP_SAMPLES) -> np.ndarray:
    """The recipe's clip: centre crop when longer, zero pad at the end when shorter."""
    n = samples.shape[-1]
    if n > length:
        start = clip_start(n, length)
        return samples[..., start : start + length]
    if n < length:
        return np.pad(samples, [(0, 0)] * (samples.ndim - 1) + [(0, length - n)])
    return samples


def model_clip(recording: Recording) -> tuple[np.ndarray, float, float]:
    """The model's input for a whole recording, and the span (seconds) it covers.

    Leading and trailing silence is trimmed first, so a clip recorded with a second of silence
    before the recitation reaches the model like a tightly cut one; then the recipe's clip.
    """
    start, end = recording.speech_bounds()
    offset = start + clip_start(end - start)
    span = min(end - start, CLIP_SAMPLES)
    rate = recording.sample_rate
    return fixed_clip(recording.samples[start:end]), offset / rate, (offset + span) / rate


def window_starts(n_samples: int, hop: int, length: int = CLIP_SAMPLES) -> list[int]:
    """Starts of windows of `length` every `hop` samples; the last one ends at the recording's end."""
    if n_samples <= length:
        return [0]
    starts = list(range(0, n_samples - length + 1, hop))
    if starts[-1] + length < n_samples:
        starts.append(n_samples - length)
    return starts


def window_level_gain(recording: Recording, start: int, end: int) -> float:
    """The gain that brings samples [start, end) of a recording to TARGET_RMS_DBFS over their own
    speech frames, as a training clip is levelled over its speech (1.0 when the span holds none)."""
    hop = int(FRAME_SECONDS * recording.sample_rate)
    first, last = start // hop, -(-end // hop)
    voiced = recording.active if recording.voiced is None else recording.voiced
    rms = frame_rms(recording.samples[first * hop : last * hop], recording.sample_rate)
    level = speech_level(rms, voiced[first:last][: len(rms)])
    return db_to_amp(TARGET_RMS_DBFS) / level if level > 0 else 1.0


def sliding_windows(recording: Recording, hop_seconds: float = 1.0) -> list[Window]:
    """4 s windows every hop_seconds covering the whole recording (a short one gives one window);
    each window's input is its sound with the silence at its edges trimmed, as in `model_clip`,
    levelled over its own speech frames, as a training clip is."""
    x = recording.samples
    rate = recording.sample_rate
    hop = max(1, int(hop_seconds * rate))
    windows = []
    for s in window_starts(x.shape[-1], hop):
        e = min(s + CLIP_SAMPLES, x.shape[-1])
        a, b = recording.speech_bounds(s, e)  # trimmed like a whole recording, so inputs match training
        gain = window_level_gain(recording, a, b)
        windows.append(Window(s / rate, e / rate, fixed_clip(x[a:b] * np.float32(gain))))
    return windows




# How reciters5's site clips were cut from its verse recordings (measured by finding each training
# clip inside its decoded verse: both edges sit 0.12 s outside the QUL onsets, less the decoders'
# difference in MP3 start delay; tests/core/audio/test_site_cut.py)
CUT_MARGIN_SECONDS = 0.12


def cut_span(samples: np.ndarray, start_s: float, end_s: float | None, rate: int = 16000,
             margin_s: float = CUT_MARGIN_SECONDS) -> tuple[np.ndarray, float, float]:
    """A site's clip: from `margin_s` before `start_s` (the onset of the word holding the noon or
    tanween) to `margin_s` after `end_s` (the onset of the word after the word that decides the
    rule; None: the end of the recording), within the recording. The one cut the trainer and
    verse mode share. Returns the samples and the span (s) they cover."""
    n = samples.shape[-1]
    a = max(0, int(round((start_s - margin_s) * rate)))
    b = n if end_s is None else min(n, int(round((end_s + margin_s) * rate)))
    b = max(b, min(n, a + 1))
    return samples[..., a:b], a / rate, b / rate
