"""What a fold model is trained on: raw 4 s clips augmented every epoch (CNN1D), or the speech
front end's frames of each clip and of a few augmented variants of it, encoded once and cached
on disk (FrameCNN1D), so a 5-fold run on a CPU takes minutes instead of hours.

Variant 0 of every clip is `model_clip(recording)`: exactly what the app and the checker
give the model. The others are the recipe's waveform augmentations, drawn from a generator seeded
by the clip's own content, so they (and their cache entries) are the same in every run.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from tajweed_desktop.core.audio.clips import model_clip
from tajweed_desktop.core.audio.levels import NORMALISATION
from tajweed_desktop.core.audio.recording import Recording
from tajweed_desktop.core.model import frontend

from tajweed_desktop.core.model import logmel
from tajweed_desktop.core.common.atomic import atomic_path

from .augment import AugmentConfig, augment

log = logging.getLogger(__name__)

DEFAULT_CACHE = Path("runs") / "feature-cache"


def inference_clip(rec: Recording) -> torch.Tensor:
    """The model input for a whole recording, as `Ensemble.analyse` prepares it."""
    return torch.from_numpy(model_clip(rec)[0])


def clip_key(clip: torch.Tensor) -> str:
    return hashlib.sha256(clip.detach().cpu().numpy().astype(np.float32).tobytes()).hexdigest()


def clip_variants(rec: Recording, cfg: AugmentConfig, n_variants: int) -> list[torch.Tensor]:
    """[the inference clip, n_variants augmented clips]; the same every run."""
    clean = inference_clip(rec)
    seed = int(clip_key(clean)[:12], 16)
    speech = torch.from_numpy(rec.speech())
    out = [clean]
    for v in range(1, n_variants + 1):
        out.append(augment(speech, cfg, torch.Generator().manual_seed(seed + v)))
    return out


def frames_version(pad_seconds: float = frontend.PAD_SECONDS) -> dict:
    """Everything besides a clip's own samples that changes the frames encoded from it: the front
    end (weights, runtime and its version, compute type, padding length, frame count), the
    log-mel code and the padding code (their source), and the preparation (the card's
    normalisation record, which names the code version of the level, voice detector and trim).
    A change to any of them gives the cache a new folder, so stale frames are never read."""
    return {
        "front_end": frontend.spec(pad_seconds=pad_seconds),
        "log_mel_source_sha256": hashlib.sha256(inspect.getsource(logmel).encode()).hexdigest(),
        "padding_source_sha256": hashlib.sha256(inspect.getsource(frontend.pad_clips).encode()).hexdigest(),
        "preparation": NORMALISATION,
    }


def frames_key(version: dict | None = None, pad_seconds: float = frontend.PAD_SECONDS) -> str:
    """The cache folder's name: the front end's name and a digest of `frames_version()`."""
    blob = json.dumps(frames_version(pad_seconds) if version is None else version, sort_keys=True).encode()
    return f"{frontend.NAME}-{hashlib.sha256(blob).hexdigest()[:16]}"


class FrameCache:
    """Encoder frames per clip, one .npy file per clip content under a folder named after
    everything else that changes them (`frames_key`), which also holds that record as
    `version.json`, so frames of another front end, padding, log-mel or preparation are never
    mixed in."""

    def __init__(self, folder: Path = DEFAULT_CACHE, encoder: frontend.WhisperEncoder | None = None,
                 pad_seconds: float = frontend.PAD_SECONDS):
        self.pad_seconds = pad_seconds
        self.version = frames_version(pad_seconds)
        self.folder = Path(folder) / frames_key(self.version)
        self._encoder = encoder

    @property
    def encoder(self) -> frontend.WhisperEncoder:
        if self._encoder is None:
            self._encoder = frontend.shared_encoder("cpu")
        return self._encoder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npy"

    def frames(self, clips: list[torch.Tensor], progress: bool = False, batch: int = 16) -> np.ndarray:
        """(n, DIM, FRAMES) float32 for the clips, encoding only those not cached yet."""
        keys = [clip_key(c) for c in clips]
        out = np.empty((len(clips), frontend.DIM, frontend.FRAMES), dtype=np.float32)
        missing = []
        for i, key in enumerate(keys):
            path = self._path(key)
            try:
                out[i] = np.load(path)
            except (OSError, ValueError):  # not cached yet, or a damaged entry: encode again
                missing.append(i)
        if missing and not (self.folder / "version.json").exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.folder / "version.json") as tmp:
                tmp.write_text(json.dumps(self.version, indent=1, sort_keys=True))
        bar = tqdm(total=len(missing), desc="encoding", unit="clip", disable=not progress, leave=False)
        for start in range(0, len(missing), batch):
            ids = missing[start : start + batch]
            enc = self.encoder.encode(torch.stack([clips[i] for i in ids]).numpy(), pad_seconds=self.pad_seconds)
            for i, frames in zip(ids, enc):
                out[i] = frames
                path = self._path(keys[i])
                path.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(path) as tmp:
                    with open(tmp, "wb") as f:
                        np.save(f, frames)
            bar.update(len(ids))
        bar.close()
        if missing:
            log.info("encoded %d clips, %d from the cache", len(missing), len(clips) - len(missing))
        return out


def variant_frames(recordings: list[Recording], cfg: AugmentConfig, n_variants: int, cache: FrameCache,
                   progress: bool = False) -> torch.Tensor:
    """(clips, 1 + n_variants, DIM, FRAMES): variant 0 is the inference clip's frames."""
    clips = [c for rec in recordings for c in clip_variants(rec, cfg, n_variants)]
    frames = cache.frames(clips, progress=progress)
    return torch.from_numpy(frames).view(len(recordings), 1 + n_variants, frontend.DIM, frontend.FRAMES)
