"""Whisper's log-mel, computed in numpy, against values computed independently with torch.stft
and torchaudio's Slaney filterbank (the librosa filters Whisper ships)."""

from __future__ import annotations

import numpy as np
import torch
import torchaudio.functional as AF

from tajweed_desktop.core.model import logmel
from tests.conftest import tone


def reference_log_mel(x: np.ndarray) -> np.ndarray:
    """Whisper's own recipe (openai/whisper audio.py), in torch."""
    fb = AF.melscale_fbanks(201, 0.0, 8000.0, 80, 16000, norm="slaney", mel_scale="slaney").T
    st = torch.stft(torch.from_numpy(x), 400, 160, window=torch.hann_window(400), return_complex=True)
    mel = fb @ (st[..., :-1].abs() ** 2)
    log_spec = torch.clamp(mel, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.amax(dim=(-2, -1), keepdim=True) - 8.0)
    return ((log_spec + 4.0) / 4.0).numpy()


def test_filterbank_equals_torchaudio_slaney():
    fb = AF.melscale_fbanks(201, 0.0, 8000.0, 80, 16000, norm="slaney", mel_scale="slaney").T.numpy()
    assert logmel.mel_filters().shape == (80, 201)
    assert np.abs(logmel.mel_filters() - fb).max() < 1e-6


def test_log_mel_equals_the_reference_on_speechlike_noise_and_a_batch():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 128000)) * np.linspace(0.01, 0.3, 128000)).astype(np.float32)
    x[2, 64000:] = 0.0  # a padded clip, as the front end feeds it
    got = logmel.log_mel(x)
    assert got.shape == (3, 80, 800)
    assert np.abs(got - reference_log_mel(x)).max() < 1e-4


def test_a_tone_lights_the_band_that_holds_its_frequency():
    spec = logmel.log_mel(tone(1000.0, 1.0))
    band = int(np.argmax(spec[:, 50]))
    edges = logmel._mel_to_hz(np.linspace(0, logmel._hz_to_mel(8000.0), 82))
    assert edges[band] < 1000.0 < edges[band + 2]
    assert spec.shape == (80, 100)  # N / 160 frames


def test_floor_is_eight_decades_below_the_loudest_value():
    spec = logmel.log_mel(np.concatenate([tone(440.0, 0.5), np.zeros(8000, np.float32)]))
    assert spec.max() - spec.min() <= 2.0 + 1e-6  # 8 decades of log10, divided by 4
