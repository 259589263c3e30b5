"""A call run on a plain (daemon) Python thread whose result, or exception, the caller collects:
the bounded file read (`audio.decode_bounded`) and the app's work that must not run on a Qt pool
thread (`app/native_import.py`) both use it; and `once`, a value built at most once per process
however many threads ask for it first."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ThreadCall(Generic[T]):
    """fn(*args, **kwargs) started at once on its own daemon thread (a call that hangs cannot
    keep the process from exiting)."""

    def __init__(self, fn: Callable[..., T], *args, name: str, **kwargs):
        self._outcome: dict = {}

        def run() -> None:
            try:
                self._outcome["result"] = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001  (handed to the caller, whatever it is)
                self._outcome["error"] = exc

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds (for ever when None); True once the call has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def result(self) -> T:
        """The call's return value, or its exception raised again here (after `join`)."""
        if "error" in self._outcome:
            error = self._outcome.pop("error")
            try:
                raise error
            finally:
                del error  # no cycle through the traceback's frames
        return self._outcome["result"]


def run_on_plain_thread(fn: Callable[..., T], *args, name: str, **kwargs) -> T:
    """fn(*args, **kwargs) on a new plain thread, waited for: its result or its exception."""
    call = ThreadCall(fn, *args, name=name, **kwargs)
    call.join()
    return call.result()


def once(factory: Callable[[], T]) -> Callable[[], T]:
    """`factory()` run at most once, its result shared; threads asking while it runs wait for it
    (functools.cache alone may run a slow factory twice when two threads ask at once)."""
    lock = threading.Lock()
    made: list[T] = []

    @functools.wraps(factory)
    def get() -> T:
        with lock:
            if not made:
                made.append(factory())
            return made[0]

    return get
