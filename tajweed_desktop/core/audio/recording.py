"""A recording prepared for the model: decoded, mono, 16 kHz, its speech found and levelled.

numpy, libsndfile and libsoxr only (no torch, no scipy): the app and the checker run on a CPU without
PyTorch, and without scipy.signal's 74 MB import.

Training and inference both go through `load_recording` / `recording_from_array` and then
`fixed_clip` or `sliding_windows`, so a clip is prepared identically everywhere.

Preparation, in this order: mix to mono, resample to 16 kHz, subtract the mean (DC), refuse a
peak below -60 dBFS as silent, then ask a voice-activity model (`audio/speech.py`, Silero VAD) where
the speech is; no speech is refused ("no recitation heard") before any level is decided. Clicks
are muted (below), then a 20 Hz zero-phase high-pass removes what DC the mean left (a drift).
The level rule is in `levels.py`; cutting clips and windows in `clips.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio.decode import MAX_SECONDS, decode_bounded, resample
from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.audio.levels import (
    FRAME_SECONDS,
    TRIM_MARGIN_SECONDS,
    normalise,
)
from tajweed_desktop.core.common.errors import (
    EmptyAudioError,
    TajweedError,
    TooShortError,
    UnreadableAudioError,
)

MIN_SECONDS = 0.1  # shorter than this there is no syllable to classify


@dataclass(frozen=True)
class Recording:
    """A mono, 16 kHz, level-normalised recording ready to be cut into model inputs."""

    samples: np.ndarray  # (T,) float32
    path: Path | None
    original_rate: int
    channels: int
    gain_db: float
    active: np.ndarray  # bool per 20 ms frame: does it hold sound that belongs to the speech?

    sample_rate: int = SAMPLE_RATE
    voiced: np.ndarray | None = None  # bool per 20 ms frame: speech, as the VAD heard it (None: as `active`)

    @property
    def duration(self) -> float:
        return self.samples.shape[-1] / self.sample_rate

    def speech_bounds(self, start: int = 0, end: int | None = None) -> tuple[int, int]:
        """Within samples [start, end): from the first to the last active frame, with
        TRIM_MARGIN_SECONDS either side (the whole range when it holds no active frame)."""
        end = self.samples.shape[-1] if end is None else end
        hop, margin = int(FRAME_SECONDS * self.sample_rate), int(TRIM_MARGIN_SECONDS * self.sample_rate)
        frames = np.flatnonzero(self.active[start // hop : -(-end // hop)]) + start // hop
        if frames.size == 0:
            return start, end
        return max(start, int(frames[0]) * hop - margin), min(end, (int(frames[-1]) + 1) * hop + margin)

    def speech(self) -> np.ndarray:
        """The recording without its leading and trailing silence: what the model is trained on."""
        start, end = self.speech_bounds()
        return self.samples[start:end]

    def active_seconds(self, start: float = 0.0, end: float | None = None) -> float:
        """Seconds of sound (not pause) between start and end."""
        first = int(start / FRAME_SECONDS)
        last = len(self.active) if end is None else int(math.ceil(end / FRAME_SECONDS))
        return float(self.active[first:last].sum()) * FRAME_SECONDS


def recording_from_array(
    samples: np.ndarray,
    rate: int,
    path: str | Path | None = None,
    channels: int = 1,
    original_rate: int | None = None,
) -> Recording:
    """Prepare samples already in memory (a microphone buffer, a decoded file); `original_rate`
    is the file's rate when `samples` were resampled while decoding."""
    path = None if path is None else Path(path)
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:  # (frames, channels) as soundfile and sounddevice give it
        channels = x.shape[1]
        x = x.mean(axis=1, dtype=np.float32)
    if x.size == 0:
        raise EmptyAudioError(path)
    if not np.isfinite(x).all():
        raise UnreadableAudioError(path, "it holds NaN or infinite samples")
    if x.size < MIN_SECONDS * rate:
        raise TooShortError(path, f"{x.size / rate * 1000:.0f} ms; at least {MIN_SECONDS * 1000:.0f} ms needed")
    x = resample(x, rate)
    x, gain_db, active, voiced = normalise(x, path)
    return Recording(np.ascontiguousarray(x), path, original_rate or rate, channels, gain_db, active, voiced=voiced)


def load_recording(path: str | Path, max_seconds: float = MAX_SECONDS) -> Recording:
    """Decode a file and prepare it: mono, 16 kHz, level-normalised."""
    samples, rate, channels = decode_bounded(path, max_seconds)  # already 16 kHz mono
    return recording_from_array(samples, SAMPLE_RATE, path, channels, original_rate=rate)

def load_or_reason(path: str | Path) -> Recording | str:
    """The recording, or the one-line message for the user: never an exception, so a batch of
    hundreds of files (the checker's, the app's, the trainer's) goes on past a bad one."""
    try:
        return load_recording(path)
    except TajweedError as exc:
        return str(exc)
    except Exception as exc:  # a decoder bug must not end the batch either
        return f"{path}: unexpected error while reading ({type(exc).__name__}: {exc})"
