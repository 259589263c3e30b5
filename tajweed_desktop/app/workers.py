"""The one way the app runs background work: superqt's thread workers on the global QThreadPool.

superqt gives a QRunnable whose signals (started, yielded, returned, errored, finished) live on a
companion QObject, plus cooperative abort for generators (`worker.quit()` is seen at the next
yield): exactly what a progress bar with Cancel needs, maintained by the napari team.
"""

from __future__ import annotations

from collections.abc import Callable

from superqt.utils import GeneratorWorker, WorkerBase, create_worker


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
