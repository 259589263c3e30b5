"""The one worker abstraction (app/workers.py): cyclic garbage made on a worker thread is collected
on the GUI thread, never on the worker (where it destroyed GUI-thread Qt objects and aborted)."""

from __future__ import annotations

import gc
import os
import threading

import pytest
from superqt.utils import GeneratorWorker

from tajweed_desktop.app.workers import WorkerSet
from tajweed_desktop.core.common.threads import BACKGROUND_NICE


def make_cycles(n: int) -> int:
    for _ in range(n):
        a: list = []
        a.append(a)  # a reference cycle: only the cyclic collector frees it
    return n


def test_garbage_from_a_worker_is_collected_on_the_gui_thread(qtbot):
    threads: list[str] = []

    def seen(phase, info):
        if phase == "start":
            threads.append(threading.current_thread().name)

    gc.callbacks.append(seen)
    try:
        assert not gc.isenabled()  # as in the app: automatic collection off, a GUI-thread timer instead
        done = []
        WorkerSet().start(make_cycles, 200_000, on_result=done.append)
        qtbot.waitUntil(lambda: done == [200_000], timeout=20000)
        qtbot.waitUntil(lambda: bool(threads), timeout=5000)  # the timer's next tick collects them
    finally:
        gc.callbacks.remove(seen)
    assert set(threads) == {threading.main_thread().name}


def _nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities are a POSIX call")
def test_background_work_runs_below_the_window_and_keeps_progress(qtbot):
    """A worker's thread is niced below the GUI thread, and a generator function still reports
    progress (a GeneratorWorker, not a plain one that would swallow the yields)."""

    def steps(n):
        for i in range(n):
            yield i
        return _nice_of_this_thread()

    seen, done = [], []
    worker = WorkerSet().start(steps, 3, on_yield=seen.append, on_result=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    assert seen == [0, 1, 2]
    assert isinstance(worker, GeneratorWorker)
    assert done[0] >= BACKGROUND_NICE > _nice_of_this_thread()  # the GUI thread is left as it was
