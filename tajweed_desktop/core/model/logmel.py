"""Whisper's log-mel spectrogram, in numpy.

The values the encoder was trained on: 25 ms periodic-Hann frames every 10 ms (n_fft 400, hop
160 at 16 kHz, centred with reflect padding), power spectrum, 80 Slaney-normalised mel bands
(librosa's default filterbank), log10 floored at 1e-10, clamped to 8 decades below the loudest
value, then (x + 4) / 4. The last STFT frame is dropped, as Whisper does, so N samples give
N / 160 frames.

Written here instead of importing faster-whisper's extractor, which drags in av,
huggingface_hub, tokenizers and onnxruntime; numpy keeps it usable without torch.
`tests/core/model/test_logmel.py` checks it against torch.stft and torchaudio's filterbank.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16_000
N_FFT = 400
HOP = 160
N_MELS = 80


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    mel = f / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log_part, mel)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    lin = m * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
    return np.where(m >= 15.0, log_part, lin)


@lru_cache(maxsize=4)
def mel_filters(n_mels: int = N_MELS, n_fft: int = N_FFT, rate: int = SAMPLE_RATE) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters, each scaled to unit area (Slaney norm)."""
    fft_freqs = np.linspace(0.0, rate / 2, n_fft // 2 + 1)
    mel_edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(rate / 2), n_mels + 2))
    widths = np.diff(mel_edges)
    ramps = mel_edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_edges[2:] - mel_edges[:-2]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=4)
def _periodic_hann(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


def power_spectrogram(samples: np.ndarray) -> np.ndarray:
    """(..., N) -> (..., n_fft // 2 + 1, N // hop) power, Whisper's framing (last frame dropped)."""
    x = np.asarray(samples, dtype=np.float32)
    pad = N_FFT // 2
    x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    n_frames = 1 + (x.shape[-1] - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT, axis=-1)[..., ::HOP, :][..., :n_frames, :]
    spec = np.fft.rfft(frames * _periodic_hann(N_FFT), axis=-1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32)
    return np.swapaxes(power[..., :-1, :], -1, -2)


def log_mel(samples: np.ndarray) -> np.ndarray:
    """(..., N) 16 kHz samples -> (..., 80, N // 160) float32, as Whisper's encoder expects.

    The 8-decade floor is relative to each input's own loudest value, as in Whisper."""
    mel = mel_filters() @ power_spectrogram(samples)
    log_spec = np.log10(np.maximum(mel, 1e-10))
    floor = log_spec.max(axis=(-2, -1), keepdims=True) - 8.0
    return ((np.maximum(log_spec, floor) + 4.0) / 4.0).astype(np.float32)
