"""The waveform view repaints for as long as the app runs: it must not corrupt Python's state."""

from __future__ import annotations

import gc
import sys

import numpy as np
import pytest

from tajweed_desktop.app.waveform_view import WaveformView


def test_repainting_does_not_drop_references_to_none(qtbot):
    """PySide6 6.12.0 lost a reference to None on each repaint; on Python 3.11, where None is not
    immortal, that ends in "Fatal Python error: none_dealloc" after some hundreds of clips."""
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(800, 300)
    view.show()
    x = np.sin(np.arange(80000) / 10).astype(np.float32)
    view.set_audio(x, 16000)
    qtbot.wait(50)
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(30):
        view.set_audio(x, 16000)
        view.set_playhead(1.0)
        view.repaint()
    gc.collect()
    assert sys.getrefcount(None) >= before - 5  # a leak on each call would lose hundreds


def test_a_long_recording_is_drawn_as_an_envelope_that_keeps_its_peaks(qtbot):
    """Drawn point by point, a 10-minute file froze the window for over a second as it opened."""
    from tajweed_desktop.app.waveform_view import DISPLAY_POINTS, envelope

    rng = np.random.default_rng(0)
    x = (rng.standard_normal(600 * 16000) * 0.1).astype(np.float32)
    x[1234567] = 0.99
    x[7654321] = -0.97
    t, y = envelope(x, 16000)
    assert len(y) <= DISPLAY_POINTS + 200 and y.max() == np.float32(0.99) and y.min() == np.float32(-0.97)
    assert t[0] == 0 and t[-1] == pytest.approx(600, abs=0.01) and np.all(np.diff(t) >= 0)
    short = x[:16000]
    ts, ys = envelope(short, 16000)
    assert np.array_equal(ys, short) and len(ts) == 16000
    view = WaveformView()
    qtbot.addWidget(view)
    view.set_audio(x, 16000)
    assert len(view.curve.yData) == len(y) and len(view.samples) == len(x)  # playback keeps every sample
