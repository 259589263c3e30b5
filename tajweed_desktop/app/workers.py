"""The one way the app runs background work: superqt's thread workers on the global QThreadPool.

superqt gives a QRunnable whose signals (started, yielded, returned, errored, finished) live on a
companion QObject, plus cooperative abort for generators (`worker.quit()` is seen at the next
yield): exactly what a progress bar with Cancel needs, maintained by the napari team.
"""

from __future__ import annotations

from collections.abc import Callable

from pyqtgraph.util.garbage_collector import GarbageCollector
from superqt.utils import GeneratorWorker, WorkerBase, create_worker

from tajweed_desktop.core.common.memory import release_free_memory


class WorkerSet:
    """Tracks running workers so that a window can cancel and wait for them when it closes."""

    def __init__(self) -> None:
        self._running: dict[int, WorkerBase] = {}

    def start(
        self,
        func: Callable,
        *args,
        on_result: Callable | None = None,
        on_yield: Callable | None = None,
        on_error: Callable[[Exception], None] | None = None,
        on_finish: Callable | None = None,
        **kwargs,
    ) -> WorkerBase:
        worker = create_worker(func, *args, _start_thread=False, _ignore_errors=True, **kwargs)
        if on_result:
            worker.returned.connect(on_result)
        if on_yield and isinstance(worker, GeneratorWorker):
            worker.yielded.connect(on_yield)
        if on_error:
            worker.errored.connect(on_error)
        # The slot must not refer to the worker itself: Qt holds the slot strongly, so a closure over
        # the worker makes a cycle through C++ that Python's collector cannot see, and every
        # finished worker (with its arguments, a whole recording) would stay in memory.
        key = id(worker)
        worker.finished.connect(lambda: self._running.pop(key, None))
        worker.finished.connect(release_free_memory)  # what the job freed goes back (core/common/memory.py)
        if on_finish:
            worker.finished.connect(on_finish)
        self._running[key] = worker
        worker.start()
        return worker

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for w in list(self._running.values()):
            w.quit()


def collect_garbage_on_the_gui_thread(interval: float = 1.0) -> GarbageCollector:
    """Python's cyclic collector runs on whichever thread happens to allocate when a threshold is
    crossed. On a worker thread it destroys Qt objects that belong to the GUI thread: a test run
    aborted that way ("Garbage-collecting" on the model loader's pool thread). pyqtgraph's
    GarbageCollector turns the automatic collection off and collects on a GUI-thread timer
    instead. Keep the returned object while the app runs; `gc.enable()` undoes it."""
    return GarbageCollector(interval=interval)
