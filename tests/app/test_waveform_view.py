"""The waveform view repaints for as long as the app runs: it must not corrupt Python's state."""

from __future__ import annotations

import gc
import sys

import numpy as np

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
