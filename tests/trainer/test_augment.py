"""Each augmentation shows its effect on a known signal."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trainer import augment as A
from trainer.augment import AugmentConfig
from tests.conftest import tone


def freq(x: torch.Tensor) -> float:
    s = np.abs(np.fft.rfft(x.numpy()))
    return float(np.fft.rfftfreq(len(x), 1 / 16000)[s.argmax()])


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def test_gain_scales_by_decibels():
    x = torch.from_numpy(tone(300, 1.0, amp=0.1))
    assert float(A.gain(x, 6.0).abs().max()) == pytest.approx(0.1 * 10 ** (6 / 20), rel=1e-3)


def test_speed_moves_pitch_and_length():
    x = torch.from_numpy(tone(200, 2.0))
    y = A.speed(x, 1.25)
    assert len(y) == 25600 and freq(y) == pytest.approx(250, abs=2)


def test_tilt_brightens_highs_and_dulls_lows_by_the_slope():
    t = torch.arange(16000) / 16000
    low, high = torch.sin(2 * math.pi * 250 * t), torch.sin(2 * math.pi * 4000 * t)
    db = lambda a, b: 20 * math.log10(float(a.pow(2).mean().sqrt() / b.pow(2).mean().sqrt()))
    # 250 Hz is two octaves below the 1 kHz pivot, 4 kHz two above: +-6 dB at 3 dB/octave
    assert db(A.tilt(low, 3.0), low) == pytest.approx(-6.0, abs=0.1)
    assert db(A.tilt(high, 3.0), high) == pytest.approx(6.0, abs=0.1)
    assert db(A.tilt(high, -3.0), high) == pytest.approx(-6.0, abs=0.1)
    assert A.tilt(low, 0.0).shape == low.shape


def test_time_mask_silences_exactly_its_span():
    x = torch.ones(16000)
    y = A.time_mask(x, 1000, 1600)  # 100 ms, not the notebook's 5 ms
    assert y[1000:2600].eq(0).all() and y[:1000].eq(1).all() and y[2600:].eq(1).all()


def test_noise_has_the_requested_snr(gen):
    x = torch.from_numpy(tone(300, 4.0, amp=0.5))
    y = A.add_noise(x, 20.0, gen)
    snr = 10 * math.log10(float(x.pow(2).mean()) / float((y - x).pow(2).mean()))
    assert snr == pytest.approx(20.0, abs=0.3)


def test_shift_delays_and_advances():
    x = torch.arange(1, 11, dtype=torch.float32)
    assert A.shift(x, 3).tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]
    assert A.shift(x, -3).tolist() == [4, 5, 6, 7, 8, 9, 10, 0, 0, 0]


def test_random_crop_takes_different_windows_of_a_long_clip(gen):
    x = torch.arange(100000, dtype=torch.float32)
    starts = {int(A.random_crop(x, gen)[0]) for _ in range(20)}
    assert len(starts) > 10 and all(0 <= s <= 36000 for s in starts)
    assert A.random_crop(torch.ones(100), gen).shape == (64000,)


def test_pipeline_never_returns_a_silent_clip(gen):
    """The notebook's FrequencyMasking zeroed whole clips; nothing here may."""
    cfg = AugmentConfig(random_crop=True, gain_p=1, shift_p=1, speed_p=1, mask_p=1, noise_p=1, tilt_p=1)
    x = torch.from_numpy(tone(220, 3.0, amp=0.1))
    for _ in range(50):
        y = A.augment(x, cfg, gen)
        assert y.shape == (64000,) and torch.isfinite(y).all()
        assert float(y[:40000].abs().max()) > 0.01


def test_pipeline_is_repeatable_from_its_seed():
    cfg = AugmentConfig(random_crop=True, gain_p=0.5, speed_p=0.5, mask_p=0.5, noise_p=0.5)
    x = torch.from_numpy(tone(220, 5.0))
    a = A.augment(x, cfg, torch.Generator().manual_seed(7))
    b = A.augment(x, cfg, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
