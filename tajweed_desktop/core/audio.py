"""Decode, mix, resample and normalise recordings; cut the model's 4 s clips and sliding windows.

numpy, libsndfile and libsoxr only (no torch, no scipy): the app and the checker run on a CPU without
PyTorch, and without scipy.signal's 74 MB import.

Training and inference both go through `load_recording` / `recording_from_array` and then
`fixed_clip` or `sliding_windows`, so a clip is prepared identically everywhere.

Preparation, in this order: mix to mono, resample to 16 kHz, subtract the mean (DC), refuse a
peak below -60 dBFS as silent, then ask a voice-activity model (`speech.py`, Silero VAD) where
the speech is; no speech is refused ("no recitation heard") before any level is decided. Clicks
are muted (below), then a 20 Hz zero-phase high-pass removes what DC the mean left (a drift).

Level: the RMS of the *speech* frames (20 ms frames the VAD marks as speech), each frame's RMS
capped at the 90th percentile of those frames (frames 30 dB below it left out), is brought to
-20 dBFS. A click or a knock is not
speech, and even one inside the speech is capped, so it cannot steer the level; pauses do not
dilute it either. A 20 ms frame more than 12 dB above that 90th percentile is muted as a click
(over 446 real clips no frame of recitation was more than 8.6 dB above it). Active sound (for the trim and the "too little sound" check) is sound within
20 dB of that speech level that belongs to the speech: runs of such frames, pauses shorter than
0.3 s bridged, that hold speech frames. A click a pause
away from the recitation is therefore neither level nor trim. Each timeline window gets the same
level rule over its own speech frames, as a training clip does.
"""

from __future__ import annotations

import math
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from . import speech as vad
from .highpass import zero_phase_highpass
from .threads import ThreadCall
from .errors import (
    EmptyAudioError,
    NoSoundError,
    NoSpeechError,
    NotRegularFileError,
    TooLongError,
    TajweedError,
    TooShortError,
    UnreadableAudioError,
)
from .formats import AUDIO_EXTENSIONS, CLIP_SAMPLES, CLIP_SECONDS, SAMPLE_RATE  # noqa: F401 (re-exported)

MIN_SECONDS = 0.1  # shorter than this there is no syllable to classify
MAX_SECONDS = 20 * 60  # longest recording decoded at once (about 77 MB of 16 kHz float32)
TARGET_RMS_DBFS = -20.0
LEVEL_PERCENTILE = 90.0  # speech frames' RMS is capped at this percentile of them before averaging
LEVEL_RANGE_DB = 30.0  # ... and speech frames more than this below that percentile are left out
DC_HIGHPASS_HZ = 20.0
CLICK_DB = 12.0  # a 20 ms frame this far above that percentile is a click, not a syllable: muted
GATE_DB = 20.0  # sound within this many dB below the speech level counts as active
JOIN_GAP_SECONDS = 0.3  # active sound separated from speech by a shorter pause belongs to it
NO_SOUND_PEAK_DBFS = -60.0
FRAME_SECONDS = 0.02
READ_STALL_SECONDS = 30.0  # a read that yields no data for this long (a hung network mount) is given up
TRIM_MARGIN_SECONDS = 0.15  # kept either side of the sound so soft onsets and endings survive

# Written into every bundle's model card: what a model trained with this code expects.
NORMALISATION = {
    "method": "vad_speech_rms",
    "dc_removal": f"mean subtracted, then a zero-phase 2nd-order Butterworth high-pass at {DC_HIGHPASS_HZ:g} Hz",
    "voice_activity": f"{vad.SILERO_DIST} {vad.SILERO_VERSION} {Path(vad.SILERO_FILE).name} "
                      f"sha256 {vad.SILERO_SHA256[:16]}, frames with speech probability >= {vad.FRAME_THRESHOLD}",
    "min_speech_seconds": vad.MIN_SPEECH_SECONDS,
    "target_rms_dbfs": TARGET_RMS_DBFS,
    "level_frames": "speech frames, each frame's RMS capped at a percentile of them",
    "level_percentile_cap": LEVEL_PERCENTILE,
    "level_range_db_below_cap": LEVEL_RANGE_DB,
    "click_db_above_cap_muted": CLICK_DB,
    "gate_db_below_speech_level": GATE_DB,
    "join_gap_seconds": JOIN_GAP_SECONDS,
    "frame_seconds": FRAME_SECONDS,
    "no_sound_peak_dbfs": NO_SOUND_PEAK_DBFS,
    "trim_silence_margin_seconds": TRIM_MARGIN_SECONDS,
    "timeline_windows": "each window levelled over its own speech frames",
}
# the level methods whose bundles this version serves (checked on load: core/bundle.py)
# `gated_rms` (the level of frames within 20 dB of the loudest, an energy-gate trim) is served
# with this preparation: the raw-waveform bundles kept for comparison were trained with it, and
# their verdicts on the real data agree with those under their own preparation (README).
COMPATIBLE_NORMALISATIONS = frozenset({NORMALISATION["method"], "gated_rms"})


def _db_to_amp(db: float) -> float:
    return 10.0 ** (db / 20.0)


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


@dataclass(frozen=True)
class Window:
    start: float  # seconds into the recording
    end: float
    samples: np.ndarray  # (CLIP_SAMPLES,) float32


_SPECIAL_FILES = [
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
]


def special_file_kind(path: str | Path) -> str | None:
    """What a path is when it is not a regular file or a folder (following symlinks), else None.
    Only stat() is called: opening a named pipe waits for a writer, possibly forever."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return next((kind for test, kind in _SPECIAL_FILES if test(mode)), "not a regular file")


def decode(path: str | Path, max_seconds: float = MAX_SECONDS, progress: list[float] | None = None) -> tuple[np.ndarray, int, int]:
    """Read any file libsndfile reads; return (mono float32 samples, sample rate, channels).

    Reads block by block and mixes each block to mono at once, so memory holds one mono copy.
    Named pipes, sockets and devices are refused before anything opens them. `progress[0]` is set
    to time.monotonic() whenever data arrives (see `decode_bounded`).
    """
    path = Path(path)
    if path.is_dir():
        raise UnreadableAudioError(path, "it is a folder")
    if not path.exists():  # libsndfile says only "System error."
        raise UnreadableAudioError(path, "file not found")
    kind = special_file_kind(path)
    if kind is not None:
        raise NotRegularFileError(path, kind)
    if path.is_file() and path.stat().st_size == 0:
        raise UnreadableAudioError(path, "it is 0 bytes long")
    progress = [0.0] if progress is None else progress
    try:
        with sf.SoundFile(str(path)) as f:
            rate, channels = f.samplerate, f.channels
            if f.frames > max_seconds * rate:
                raise TooLongError(path, f"{f.frames / rate / 60:.0f} min; the limit is {max_seconds / 60:.0f} min")
            blocks = []
            total = 0
            progress[0] = time.monotonic()
            # read() until the decoder gives no more frames: SoundFile.blocks() trusts the header's
            # frame count, which libsndfile over-reports for some MP3s, and fills the missing end of
            # its last block with the block before it (0.25-0.29 s of repeated audio)
            while len(block := f.read(1 << 16, dtype="float32", always_2d=True)):
                progress[0] = time.monotonic()
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


def decode_bounded(path: str | Path, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int, int]:
    """`decode`, given up with a message when no data arrives for READ_STALL_SECONDS (a hung
    network mount, a disk that stopped answering), so a batch goes on past such a file.

    The read runs on a daemon thread; a read stuck in the kernel cannot be interrupted, so that
    thread is left behind, blocked, and ends with the process (or when the read returns)."""
    progress = [time.monotonic()]
    call = ThreadCall(decode, path, max_seconds, progress, name=f"read {Path(path).name}")
    while not call.join(min(1.0, READ_STALL_SECONDS)):
        if time.monotonic() - progress[0] > READ_STALL_SECONDS:
            raise UnreadableAudioError(path, f"reading stalled: no data for {READ_STALL_SECONDS:g} s")
    return call.result()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    # libsndfile repeats the path ("Error opening '/x.wav': Format not recognised."); keep the reason
    return re.sub(r"^Error opening .*?: ", "", text[0]) if text else type(exc).__name__


def resample(samples: np.ndarray, orig_rate: int, new_rate: int = SAMPLE_RATE) -> np.ndarray:
    """libsoxr's high-quality resampler (python-soxr, as librosa uses), float32 in and out."""
    if orig_rate == new_rate:
        return samples
    return soxr.resample(np.asarray(samples, np.float32), orig_rate, new_rate, quality="HQ")


def frame_rms(samples: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """RMS per FRAME_SECONDS frame (the last partial frame included)."""
    n = max(1, int(rate * FRAME_SECONDS))
    x = np.asarray(samples, np.float64)
    pad = (-len(x)) % n
    if pad:
        x = np.concatenate([x, np.zeros(pad)])
    return np.sqrt(np.mean(x.reshape(-1, n) ** 2, axis=1))


def remove_dc(samples: np.ndarray) -> np.ndarray:
    """Subtract the mean, then a zero-phase high-pass at DC_HIGHPASS_HZ for what the mean misses
    (an offset that drifts); a voice (70 Hz and up) passes unchanged."""
    if samples.size == 0:
        return samples
    x = samples.astype(np.float64)
    x -= x.mean()
    if x.size > 3 * 3 * 2:  # the filter's edge padding needs some length
        x = zero_phase_highpass(x, DC_HIGHPASS_HZ, SAMPLE_RATE)
    return x.astype(np.float32)


def _speech_levels(rms: np.ndarray, speech: np.ndarray) -> tuple[float, float]:
    """(level, cap): see `speech_level`; cap is the LEVEL_PERCENTILE of the speech frames' RMS."""
    r = np.asarray(rms, np.float64)[np.asarray(speech, bool)]
    if r.size == 0:
        return 0.0, 0.0
    top = float(np.percentile(r, LEVEL_PERCENTILE))
    r = np.minimum(r[r >= top * _db_to_amp(-LEVEL_RANGE_DB)], top)
    return (float(np.sqrt(np.mean(r**2))) if r.size else 0.0), top


def speech_level(rms: np.ndarray, speech: np.ndarray) -> float:
    """The level (linear RMS) of the speech frames: each frame's RMS capped at LEVEL_PERCENTILE of
    them, so a click or knock among them cannot raise it, and frames more than LEVEL_RANGE_DB below
    that left out, so the silence the VAD's 32 ms frames take in around a word cannot lower it
    (0.0 when no frame is speech or all are silent)."""
    return _speech_levels(rms, speech)[0]


def active_frames(rms: np.ndarray, speech: np.ndarray, level: float) -> np.ndarray:
    """Frames of sound that belong to the speech: frames within GATE_DB of `level`, in runs of
    them (pauses shorter than JOIN_GAP_SECONDS bridged) that hold a speech frame. (The VAD's own
    frames are 32 ms and run a little into the silence around a word; the sound does not.)"""
    speech = np.asarray(speech, bool)
    loud = np.asarray(rms) >= level * _db_to_amp(-GATE_DB)
    joined = loud.copy()
    gap = int(round(JOIN_GAP_SECONDS / FRAME_SECONDS))
    spans = vad.runs(loud)
    for (_, b), (a2, _) in zip(spans, spans[1:]):
        if a2 - b < gap:
            joined[b:a2] = True
    out = np.zeros_like(loud)
    for a, b in vad.runs(joined):
        if speech[a:b].any():
            out[a:b] |= loud[a:b]
    return out


def normalise(samples: np.ndarray, path: Path | None = None) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Remove DC, find the speech, mute clicks, scale the speech level to TARGET_RMS_DBFS.

    Returns (samples, gain in dB, active mask, speech mask), masks per FRAME_SECONDS frame.
    Raises NoSoundError for a silent recording, NoSpeechError when no voice is heard."""
    x = np.asarray(samples, np.float32)
    centred = x - x.mean(dtype=np.float64).astype(np.float32) if x.size else x
    peak = float(np.abs(centred).max()) if centred.size else 0.0
    if peak < _db_to_amp(NO_SOUND_PEAK_DBFS):
        level = "digital silence" if peak == 0 else f"peak {20 * math.log10(peak):.0f} dBFS"
        raise NoSoundError(path, level)
    voiced, evidence = vad.speech_mask(centred, int(FRAME_SECONDS * SAMPLE_RATE))
    if evidence < vad.MIN_SPEECH_SECONDS:
        raise NoSpeechError(path, f"the voice detector found {evidence:.2f} s of speech; "
                                  f"at least {vad.MIN_SPEECH_SECONDS:.2f} s needed")
    rms = frame_rms(centred)
    _, cap = _speech_levels(rms, voiced)
    clicks = rms > cap * _db_to_amp(CLICK_DB)
    if clicks.any():  # a click or knock far above any syllable: muted, so neither level nor trim
        hop = int(FRAME_SECONDS * SAMPLE_RATE)
        muted = np.repeat(clicks, hop)[: x.size]
        x = np.where(muted, np.float32(x[~muted].mean()), x)  # its DC too, not a hole
    samples = remove_dc(np.ascontiguousarray(x))  # after the muting: a DC pulse moves neither the mean nor the filter
    rms = frame_rms(samples)
    level, _ = _speech_levels(rms, voiced)
    if level <= 0:  # speech frames of digital silence: the VAD heard a voice in zeros
        raise NoSpeechError(path, "the speech frames hold no sound")
    gain = _db_to_amp(TARGET_RMS_DBFS) / level
    return samples * np.float32(gain), 20 * math.log10(gain), active_frames(rms, voiced, level), voiced


def recording_from_array(
    samples: np.ndarray,
    rate: int,
    path: str | Path | None = None,
    channels: int = 1,
) -> Recording:
    """Prepare samples already in memory (a microphone buffer, a decoded file)."""
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
    return Recording(np.ascontiguousarray(x), path, rate, channels, gain_db, active, voiced=voiced)


def load_recording(path: str | Path, max_seconds: float = MAX_SECONDS) -> Recording:
    """Decode a file and prepare it: mono, 16 kHz, level-normalised."""
    samples, rate, channels = decode_bounded(path, max_seconds)
    return recording_from_array(samples, rate, path, channels)


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
    return _db_to_amp(TARGET_RMS_DBFS) / level if level > 0 else 1.0


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


def load_or_reason(path: str | Path) -> Recording | str:
    """The recording, or the one-line message for the user: never an exception, so a batch of
    hundreds of files (the checker's, the app's, the trainer's) goes on past a bad one."""
    try:
        return load_recording(path)
    except TajweedError as exc:
        return str(exc)
    except Exception as exc:  # a decoder bug must not end the batch either
        return f"{path}: unexpected error while reading ({type(exc).__name__}: {exc})"
