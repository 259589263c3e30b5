"""Decode, mix, resample and normalise recordings; cut the model's 4 s clips and sliding windows.

Training and inference both go through `load_recording` / `recording_from_array` and then
`fixed_clip` or `sliding_windows`, so a clip is prepared identically everywhere.

Level normalisation: every recording is scaled so that the RMS of its *active* frames (20 ms
frames within 20 dB of the loudest frame, the way loudness meters gate out pauses) is -20 dBFS.
Pauses and padding do not dilute the estimate, so a quiet phone recording with long silences
and a loud studio clip reach the model at the same speech level. A recording whose peak is below
-60 dBFS is refused as silent rather than amplified noise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF

from .errors import (
    EmptyAudioError,
    NoSoundError,
    TooLongError,
    TajweedError,
    TooShortError,
    UnreadableAudioError,
)
from .formats import AUDIO_EXTENSIONS, CLIP_SAMPLES, CLIP_SECONDS, SAMPLE_RATE  # noqa: F401 (re-exported)

MIN_SECONDS = 0.1  # shorter than this there is no syllable to classify
MAX_SECONDS = 20 * 60  # longest recording decoded at once (about 77 MB of 16 kHz float32)
TARGET_RMS_DBFS = -20.0
GATE_DB = 20.0
NO_SOUND_PEAK_DBFS = -60.0
FRAME_SECONDS = 0.02
TRIM_MARGIN_SECONDS = 0.15  # kept either side of the sound so soft onsets and endings survive

NORMALISATION = {
    "method": "gated_rms",
    "target_rms_dbfs": TARGET_RMS_DBFS,
    "gate_db_below_loudest_frame": GATE_DB,
    "frame_seconds": FRAME_SECONDS,
    "no_sound_peak_dbfs": NO_SOUND_PEAK_DBFS,
    "trim_silence_margin_seconds": TRIM_MARGIN_SECONDS,
}
# the level methods whose bundles this version serves (checked on load: core/bundle.py)
COMPATIBLE_NORMALISATIONS = frozenset({NORMALISATION["method"]})


def _db_to_amp(db: float) -> float:
    return 10.0 ** (db / 20.0)


@dataclass(frozen=True)
class Recording:
    """A mono, 16 kHz, level-normalised recording ready to be cut into model inputs."""

    samples: torch.Tensor  # (T,) float32
    path: Path | None
    original_rate: int
    channels: int
    gain_db: float
    active: np.ndarray  # bool per 20 ms frame: does it hold sound?

    sample_rate: int = SAMPLE_RATE

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

    def speech(self) -> torch.Tensor:
        """The recording without its leading and trailing silence: what the model is trained on."""
        start, end = self.speech_bounds()
        return self.samples[start:end]

    def active_seconds(self, start: float = 0.0, end: float | None = None) -> float:
        """Seconds of sound (not pause) between start and end."""
        first = int(start / FRAME_SECONDS)
        last = len(self.active) if end is None else int(math.ceil(end / FRAME_SECONDS))
        return float(self.active[first:last].sum()) * FRAME_SECONDS


@dataclass(frozen=True)
class Window:
    start: float  # seconds into the recording
    end: float
    samples: torch.Tensor  # (CLIP_SAMPLES,)


def decode(path: str | Path, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int, int]:
    """Read any file libsndfile reads; return (mono float32 samples, sample rate, channels).

    Reads block by block and mixes each block to mono at once, so memory holds one mono copy.
    """
    path = Path(path)
    if path.is_dir():
        raise UnreadableAudioError(path, "it is a folder")
    if not path.exists():  # libsndfile says only "System error."
        raise UnreadableAudioError(path, "file not found")
    if path.is_file() and path.stat().st_size == 0:
        raise UnreadableAudioError(path, "it is 0 bytes long")
    try:
        with sf.SoundFile(str(path)) as f:
            rate, channels = f.samplerate, f.channels
            if f.frames > max_seconds * rate:
                raise TooLongError(path, f"{f.frames / rate / 60:.0f} min; the limit is {max_seconds / 60:.0f} min")
            blocks = []
            total = 0
            for block in f.blocks(blocksize=1 << 16, dtype="float32", always_2d=True):
                mono = block.mean(axis=1, dtype=np.float32)
                if not np.isfinite(mono).all():
                    raise UnreadableAudioError(path, "it holds NaN or infinite samples")
                total += len(mono)
                if total > max_seconds * rate:  # the header under-reported the length
                    raise TooLongError(path, f"the limit is {max_seconds / 60:.0f} min")
                blocks.append(mono)
    except FileNotFoundError:
        raise UnreadableAudioError(path, "file not found") from None
    except PermissionError:
        raise UnreadableAudioError(path, "permission denied") from None
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        reason = _first_line(exc)
        if "not a regular file" in reason and path.is_file():  # libsndfile's words for some non-audio files
            reason = "not in an audio format it recognises"
        raise UnreadableAudioError(path, reason) from None
    samples = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    if samples.size == 0:
        raise EmptyAudioError(path)
    return samples, rate, channels


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    # libsndfile repeats the path ("Error opening '/x.wav': Format not recognised."); keep the reason
    return re.sub(r"^Error opening .*?: ", "", text[0]) if text else type(exc).__name__


def resample(samples: torch.Tensor, orig_rate: int, new_rate: int = SAMPLE_RATE) -> torch.Tensor:
    if orig_rate == new_rate:
        return samples
    return AF.resample(samples, orig_rate, new_rate)


def frame_rms(samples: torch.Tensor, rate: int = SAMPLE_RATE) -> np.ndarray:
    """RMS per FRAME_SECONDS frame (the last partial frame included)."""
    n = max(1, int(rate * FRAME_SECONDS))
    x = samples.detach().cpu().numpy().astype(np.float64)
    pad = (-len(x)) % n
    if pad:
        x = np.concatenate([x, np.zeros(pad)])
    return np.sqrt(np.mean(x.reshape(-1, n) ** 2, axis=1))


def normalise(samples: torch.Tensor, path: Path | None = None) -> tuple[torch.Tensor, float, np.ndarray]:
    """Scale to TARGET_RMS_DBFS over active frames; return (samples, gain in dB, active mask)."""
    peak = float(samples.abs().max()) if samples.numel() else 0.0
    if peak < _db_to_amp(NO_SOUND_PEAK_DBFS):
        level = "digital silence" if peak == 0 else f"peak {20 * math.log10(peak):.0f} dBFS"
        raise NoSoundError(path, level)
    rms = frame_rms(samples)
    active = rms >= rms.max() * _db_to_amp(-GATE_DB)
    active_rms = float(np.sqrt(np.mean(rms[active] ** 2)))
    gain = _db_to_amp(TARGET_RMS_DBFS) / active_rms
    return samples * gain, 20 * math.log10(gain), active


def recording_from_array(
    samples: np.ndarray | torch.Tensor,
    rate: int,
    path: str | Path | None = None,
    channels: int = 1,
) -> Recording:
    """Prepare samples already in memory (a microphone buffer, a decoded file)."""
    path = None if path is None else Path(path)
    x = torch.as_tensor(np.asarray(samples, dtype=np.float32))
    if x.ndim == 2:  # (frames, channels) as soundfile and sounddevice give it
        channels = x.shape[1]
        x = x.mean(dim=1)
    if x.numel() == 0:
        raise EmptyAudioError(path)
    if not torch.isfinite(x).all():
        raise UnreadableAudioError(path, "it holds NaN or infinite samples")
    if x.numel() < MIN_SECONDS * rate:
        raise TooShortError(path, f"{x.numel() / rate * 1000:.0f} ms; at least {MIN_SECONDS * 1000:.0f} ms needed")
    x = resample(x, rate)
    x, gain_db, active = normalise(x, path)
    return Recording(x.contiguous(), path, rate, channels, gain_db, active)


def load_recording(path: str | Path, max_seconds: float = MAX_SECONDS) -> Recording:
    """Decode a file and prepare it: mono, 16 kHz, level-normalised."""
    samples, rate, channels = decode(path, max_seconds)
    return recording_from_array(samples, rate, path, channels)


def clip_start(n_samples: int, length: int = CLIP_SAMPLES) -> int:
    """Where the recipe's centre crop starts (0 when the recording is not longer than a clip)."""
    return max(0, (n_samples - length) // 2)


def fixed_clip(samples: torch.Tensor, length: int = CLIP_SAMPLES) -> torch.Tensor:
    """The recipe's clip: centre crop when longer, zero pad at the end when shorter."""
    n = samples.shape[-1]
    if n > length:
        start = clip_start(n, length)
        return samples[..., start : start + length]
    if n < length:
        return torch.nn.functional.pad(samples, (0, length - n))
    return samples


def model_clip(recording: Recording) -> tuple[torch.Tensor, float, float]:
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


def sliding_windows(recording: Recording, hop_seconds: float = 1.0) -> list[Window]:
    """4 s windows every hop_seconds covering the whole recording (a short one gives one window);
    each window's input is its sound with the silence at its edges trimmed, as in `model_clip`."""
    x = recording.samples
    rate = recording.sample_rate
    hop = max(1, int(hop_seconds * rate))
    windows = []
    for s in window_starts(x.shape[-1], hop):
        e = min(s + CLIP_SAMPLES, x.shape[-1])
        a, b = recording.speech_bounds(s, e)  # trimmed like a whole recording, so inputs match training
        windows.append(Window(s / rate, e / rate, fixed_clip(x[a:b])))
    return windows


def load_or_reason(path: str | Path) -> Recording | str:
    """The recording, or the one-line message for the user: never an exception, so a batch of
    hundreds of files (the checker's, the app's, the trainer's) goes on past a bad one."""
    try:
        return load_recording(path)
    except TajweedError as exc:
        return str(exc)
    except Exception as exc:  # a decoder bug must not end the batch either
        return f"{path}: unexpected error while reading ({type(exc).__name__}: {exc})"
