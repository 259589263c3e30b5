"""Any length, sample rate, channel count and dtype: a finite, correctly shaped model input or a
typed error, never anything else."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tajweed_desktop.core.audio.clips import model_clip, sliding_windows
from tajweed_desktop.core.audio.formats import CLIP_SAMPLES
from tajweed_desktop.core.audio.recording import recording_from_array
from tajweed_desktop.core.common.errors import AudioError


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 40000),
    rate=st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000, 96000]),
    channels=st.integers(1, 6),
    dtype=st.sampled_from(["float32", "float64", "int16"]),
    amp=st.floats(0.0, 2.0),
    special=st.sampled_from([None, "nan", "inf", "dc"]),
    seed=st.integers(0, 2**16),
)
def test_model_input_or_typed_error(n, rate, channels, dtype, amp, special, seed):
    x = np.random.default_rng(seed).standard_normal((n, channels)) * amp
    if special == "nan" and n:
        x[n // 2, 0] = np.nan
    elif special == "inf" and n:
        x[0, -1] = np.inf
    elif special == "dc":
        x = x + 0.5
    if dtype == "int16":
        x = (np.clip(np.nan_to_num(x), -1, 1) * 32767).astype(np.int16).astype(np.float32) / 32768
    try:
        rec = recording_from_array(x.astype(dtype if dtype != "int16" else "float32"), rate)
    except AudioError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    clip, start, end = model_clip(rec)
    assert clip.shape == (CLIP_SAMPLES,) and np.isfinite(clip).all()
    assert 0 <= start <= end <= rec.duration + 1e-6
    for w in sliding_windows(rec):
        assert w.samples.shape == (CLIP_SAMPLES,) and np.isfinite(w.samples).all()
