"""The one worker abstraction (app/workers.py): cyclic garbage made on a worker thread is collected
on the GUI thread, never on the worker (where it destroyed GUI-thread Qt objects and aborted)."""

from __future__ import annotations

import gc
import threading

from tajweed_desktop.app.workers import WorkerSet


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
