"""The numpy DC high-pass against scipy's sosfiltfilt, which it replaces in the app."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, sosfiltfilt

from tajweed_desktop.core.audio.highpass import (
    PADLEN,
    butter2_highpass,
    zero_phase_highpass,
)
from tajweed_desktop.core.audio.levels import DC_HIGHPASS_HZ
from tests.conftest import need_data


@pytest.mark.parametrize("cutoff, rate", [(20.0, 16000), (20.0, 44100), (80.0, 8000)])
def test_coefficients_are_scipys_butterworth(cutoff, rate):
    b, a = butter(2, cutoff, btype="highpass", fs=rate)
    got_b, got_a = butter2_highpass(cutoff, rate)
    assert np.allclose(got_b, b, rtol=0, atol=1e-12) and np.allclose(got_a, a, rtol=0, atol=1e-12)


# 16000 * 70: longer than the filter spectra kept between calls (highpass.CACHED_SPECTRUM_SIZE)
@pytest.mark.parametrize("n", [PADLEN + 1, 37, 4000, 64000, 16000 * 30, 16000 * 70])
def test_it_is_scipys_sosfiltfilt_on_drifting_noise(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * 0.1 + 0.3 + np.linspace(0.0, 0.5, n)  # an offset that drifts
    ref = sosfiltfilt(butter(2, 20.0, btype="highpass", fs=16000, output="sos"), x)
    for _ in range(2):  # the second time from the kept spectrum
        assert np.abs(zero_phase_highpass(x, 20.0, 16000) - ref).max() < 1e-9


def test_it_is_scipys_sosfiltfilt_on_a_real_clip():
    x, rate = sf.read(need_data("tajweed4", "train", "1.wav"), dtype="float64")
    x = x if x.ndim == 1 else x.mean(axis=1)
    ref = sosfiltfilt(butter(2, DC_HIGHPASS_HZ, btype="highpass", fs=rate, output="sos"), x)
    got = zero_phase_highpass(x, DC_HIGHPASS_HZ, rate)
    assert np.abs(got - ref).max() < 1e-9 * max(1.0, np.abs(x).max())


def test_too_short_a_signal_is_refused():
    with pytest.raises(ValueError, match="longer than"):
        zero_phase_highpass(np.ones(PADLEN), 20.0, 16000)
