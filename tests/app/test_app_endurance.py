"""200 open/analyse cycles in the window without leaked threads, timers, widgets or memory
(slow: `make test-slow`, which CI runs after the default tests)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from tajweed_desktop.core.common.memory import resident_mb as rss_mb
from tests.conftest import need_data

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # minutes of work: a guard against hangs, not a speed test


def python_threads() -> int:
    """Threads Python started. Qt's pool threads that ran Python code appear as dummy entries,
    which Python never removes when Qt ends an idle thread and starts another; the pool itself
    is checked apart (activeThreadCount)."""
    return sum(not isinstance(t, threading._DummyThread) for t in threading.enumerate())


def test_200_open_and_analyse_cycles_leak_nothing(window, qtbot):
    clips = sorted(need_data("tajweed4", "train").glob("*.wav"))[:10]

    def cycle(path) -> None:
        window.last_analysis = None
        window.open_file(str(path))
        qtbot.waitUntil(lambda: window.last_analysis is not None and window.last_analysis.path == path
                        and not window.workers.busy, timeout=20000)

    for p in clips:  # warm-up
        cycle(p)
    widgets, timers = len(QApplication.allWidgets()), len(window.findChildren(QTimer))
    threads, rss = python_threads(), rss_mb()
    for i in range(200):
        cycle(clips[i % len(clips)])
    QApplication.processEvents()
    assert len(QApplication.allWidgets()) == widgets
    assert len(window.findChildren(QTimer)) == timers
    assert python_threads() == threads
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert rss_mb() - rss < 40, f"resident memory grew {rss_mb() - rss:.0f} MB over 200 cycles"
