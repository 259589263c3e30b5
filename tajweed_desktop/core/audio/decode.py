"""Read a file into samples: any format libsndfile reads, mixed to mono block by block, with
bounded reads (a stalled mount gives up) and the special files (pipes, sockets, devices) refused
before anything opens them; and libsoxr's resampler. numpy, libsndfile and libsoxr only.
"""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.common.errors import (
    EmptyAudioError,
    NotRegularFileError,
    TooLongError,
    UnreadableAudioError,
)
from tajweed_desktop.core.common.threads import ThreadCall

MAX_SECONDS = 20 * 60  # longest recording decoded at once (about 77 MB of 16 kHz float32)
# Limits that hold whatever the header claims: a 20-minute recording is under 500 MB even as an
# uncompressed 8-channel 48 kHz WAV, no sound card records faster than 384 kHz, and a block of
# 64k frames of 64 channels is 16 MB. Memory holds one block at the file's rate and the 16 kHz
# mono output, never the whole signal at the file's rate (a 19-minute 192 kHz FLAC would be 875 MB).
MAX_FILE_BYTES = 1 << 30
MAX_RATE = 384_000
MAX_CHANNELS = 64
BLOCK_FRAMES = 1 << 16
READ_STALL_SECONDS = 30.0  # a read that yields no data for this long (a hung network mount) is given up

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


def decode(path: str | Path, max_seconds: float = MAX_SECONDS, progress: list[float] | None = None,
           to_rate: int | None = SAMPLE_RATE) -> tuple[np.ndarray, int, int]:
    """Read any file libsndfile reads; return (mono float32 samples at `to_rate`, the file's sample
    rate, channels). `to_rate=None` keeps the file's rate.

    Reads block by block, mixes each block to mono and resamples it at once (libsoxr's stream,
    bit-identical to resampling the whole signal), so memory holds one block at the file's rate and
    the mono output. Named pipes, sockets and devices are refused before anything opens them, and
    files over MAX_FILE_BYTES before anything reads them. `progress[0]` is set to time.monotonic()
    whenever data arrives (see `decode_bounded`).
    """
    path = Path(path)
    if path.is_dir():
        raise UnreadableAudioError(path, "it is a folder")
    if not path.exists():  # libsndfile says only "System error."
        raise UnreadableAudioError(path, "file not found")
    kind = special_file_kind(path)
    if kind is not None:
        raise NotRegularFileError(path, kind)
    size = path.stat().st_size if path.is_file() else 0
    if path.is_file() and size == 0:
        raise UnreadableAudioError(path, "it is 0 bytes long")
    if size > MAX_FILE_BYTES:
        raise TooLongError(path, f"{size / 2**30:.1f} GB; the limit is {MAX_FILE_BYTES / 2**30:.0f} GB")
    progress = [0.0] if progress is None else progress
    try:
        with sf.SoundFile(str(path)) as f:
            rate, channels = f.samplerate, f.channels
            if not 0 < rate <= MAX_RATE or not 0 < channels <= MAX_CHANNELS:
                raise UnreadableAudioError(path, f"{channels} channels at {rate} Hz is not a recording "
                                                 f"(at most {MAX_CHANNELS} channels at {MAX_RATE // 1000} kHz)")
            if f.frames > max_seconds * rate:
                raise TooLongError(path, f"{f.frames / rate / 60:.0f} min; the limit is {max_seconds / 60:.0f} min")
            stream = None if to_rate in (None, rate) else resample_stream(rate, to_rate)
            blocks = []
            total = 0
            progress[0] = time.monotonic()
            # read() until the decoder gives no more frames: SoundFile.blocks() trusts the header's
            # frame count, which libsndfile over-reports for some MP3s, and fills the missing end of
            # its last block with the block before it (0.25-0.29 s of repeated audio)
            while len(block := f.read(BLOCK_FRAMES, dtype="float32", always_2d=True)):
                progress[0] = time.monotonic()
                mono = block.mean(axis=1, dtype=np.float32)
                if not np.isfinite(mono).all():
                    raise UnreadableAudioError(path, "it holds NaN or infinite samples")
                total += len(mono)
                if total > max_seconds * rate:  # the header under-reported the length
                    raise TooLongError(path, f"the limit is {max_seconds / 60:.0f} min")
                blocks.append(mono if stream is None else stream.resample_chunk(mono))
            if stream is not None:
                blocks.append(stream.resample_chunk(np.zeros(0, np.float32), last=True))
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


def resample_stream(orig_rate: int, new_rate: int = SAMPLE_RATE) -> soxr.ResampleStream:
    """libsoxr's high-quality resampler for audio that arrives block by block (a file read in
    blocks, a microphone): `resample_chunk(block)` per block, `resample_chunk(empty, last=True)`
    at the end; the blocks joined are bit-identical to resampling the whole signal at once."""
    return soxr.ResampleStream(orig_rate, new_rate, 1, dtype="float32", quality="HQ")


def resample(samples: np.ndarray, orig_rate: int, new_rate: int = SAMPLE_RATE) -> np.ndarray:
    """libsoxr's high-quality resampler (python-soxr, as librosa uses), float32 in and out."""
    if orig_rate == new_rate:
        return samples
    return soxr.resample(np.asarray(samples, np.float32), orig_rate, new_rate, quality="HQ")

