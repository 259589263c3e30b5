"""Waveform augmentations that do what they say, on mono 16 kHz tensors.

Unlike the notebook's FrequencyMasking on a (1, T) waveform (which zeroes the whole clip) and
TimeMasking(80) (5 ms, no effect), each of these has a test showing its effect on a known signal.
Every function takes a 1-D tensor and a torch.Generator so a run is repeatable from its seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tajweed_desktop.core.audio import clips
from tajweed_desktop.core.audio.formats import CLIP_SAMPLES, SAMPLE_RATE


def fixed_clip(x: torch.Tensor, length: int = CLIP_SAMPLES) -> torch.Tensor:
    """The core's centre crop / zero pad (`clips.fixed_clip`), on a tensor."""
    return torch.from_numpy(clips.fixed_clip(x.numpy(), length))


def _uniform(gen: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=gen))


def gain(x: torch.Tensor, db: float) -> torch.Tensor:
    return x * 10.0 ** (db / 20.0)


def speed(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Play `factor` times faster: tempo and pitch both move (by 12*log2(factor) semitones)."""
    n = max(1, round(x.shape[-1] / factor))
    return F.interpolate(x.view(1, 1, -1), size=n, mode="linear", align_corners=False).view(-1)


def tilt(x: torch.Tensor, db_per_octave: float, pivot_hz: float = 1000.0) -> torch.Tensor:
    """A spectral tilt (brighter or duller by `db_per_octave` around `pivot_hz`), as different
    microphones, rooms and voices colour a recording. Applied in the frequency domain."""
    n = x.shape[-1]
    spec = torch.fft.rfft(x)
    f = torch.fft.rfftfreq(n, 1.0 / SAMPLE_RATE).clamp(min=20.0)
    curve = 10.0 ** (db_per_octave * torch.log2(f / pivot_hz) / 20.0)
    return torch.fft.irfft(spec * curve, n=n)


def time_mask(x: torch.Tensor, start: int, width: int) -> torch.Tensor:
    y = x.clone()
    y[start : start + width] = 0.0
    return y


def add_noise(x: torch.Tensor, snr_db: float, gen: torch.Generator) -> torch.Tensor:
    """White noise at `snr_db` below the signal's power."""
    power = float(x.pow(2).mean())
    if power == 0.0:
        return x
    noise = torch.randn(x.shape, generator=gen)
    return x + noise * math.sqrt(power / 10.0 ** (snr_db / 10.0))


def shift(x: torch.Tensor, samples: int) -> torch.Tensor:
    """Delay (positive) or advance (negative) by `samples`, filling with silence."""
    if samples == 0:
        return x
    if samples > 0:
        return F.pad(x, (samples, 0))[: x.shape[-1]]
    return F.pad(x[-samples:], (0, -samples))


def random_crop(x: torch.Tensor, gen: torch.Generator, length: int = CLIP_SAMPLES) -> torch.Tensor:
    """A random `length` window of a long clip (a short one is zero padded at the end)."""
    if x.shape[-1] <= length:
        return fixed_clip(x, length)
    start = int(torch.randint(0, x.shape[-1] - length + 1, (), generator=gen))
    return x[start : start + length]


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and ranges; p = 0 turns an augmentation off."""

    random_crop: bool = False
    gain_p: float = 0.0
    gain_db: float = 6.0
    shift_p: float = 0.0
    shift_seconds: float = 0.25
    speed_p: float = 0.0
    speed_range: tuple[float, float] = (0.8, 1.25)
    mask_p: float = 0.0
    mask_count: int = 2
    mask_seconds: tuple[float, float] = (0.05, 0.25)
    noise_p: float = 0.0
    snr_db: tuple[float, float] = (15.0, 35.0)
    tilt_p: float = 0.0
    tilt_db_per_octave: float = 3.0

    @classmethod
    def from_dict(cls, d: dict) -> AugmentConfig:
        d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**d)


def augment(x: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """One training example: the whole (normalised) recording in, a CLIP_SAMPLES tensor out."""
    if cfg.speed_p and torch.rand((), generator=gen) < cfg.speed_p:
        lo, hi = cfg.speed_range  # log-uniform so slowing and speeding are equally likely
        x = speed(x, math.exp(_uniform(gen, math.log(lo), math.log(hi))))
    x = random_crop(x, gen) if cfg.random_crop else fixed_clip(x)
    if cfg.shift_p and torch.rand((), generator=gen) < cfg.shift_p:
        limit = int(cfg.shift_seconds * SAMPLE_RATE)
        x = shift(x, int(torch.randint(-limit, limit + 1, (), generator=gen)))
    if cfg.tilt_p and torch.rand((), generator=gen) < cfg.tilt_p:
        x = tilt(x, _uniform(gen, -cfg.tilt_db_per_octave, cfg.tilt_db_per_octave))
    if cfg.gain_p and torch.rand((), generator=gen) < cfg.gain_p:
        x = gain(x, _uniform(gen, -cfg.gain_db, cfg.gain_db))
    if cfg.mask_p and torch.rand((), generator=gen) < cfg.mask_p:
        for _ in range(cfg.mask_count):
            width = int(_uniform(gen, *cfg.mask_seconds) * SAMPLE_RATE)
            start = int(torch.randint(0, max(1, x.shape[-1] - width), (), generator=gen))
            x = time_mask(x, start, width)
    if cfg.noise_p and torch.rand((), generator=gen) < cfg.noise_p:
        x = add_noise(x, _uniform(gen, *cfg.snr_db), gen)
    return x
