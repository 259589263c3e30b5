"""Import torch once, early, on a plain Python thread, never on one of Qt's pool threads.

pybind11 (inside torch) remembers the Python thread state of the thread that first imports it.
PySide gives each task on a QThreadPool thread a fresh thread state and deletes it when the task
ends, so after torch was imported by a pool task, the next task on that thread that freed a
tensor made from a NumPy array took the GIL through the deleted state: a segfault. A plain
Python thread keeps its state until it ends, and nothing else ever runs on it. Importing torch
takes seconds, so it still must not happen on the GUI thread. CTranslate2 (the speech front
end's runtime) is a pybind11 module too, so it is imported here as well.
"""

from __future__ import annotations

import threading

_done = threading.Event()
_started = False
_lock = threading.Lock()


def _import() -> None:
    try:
        from ..core import audio, ensemble  # noqa: F401  (torch, torchaudio and the core that needs them)

        try:
            import ctranslate2  # noqa: F401
        except ImportError:  # reported where the front end is built, with the reinstall hint
            pass
    finally:
        _done.set()  # on failure, callers import again and get the error themselves


def start() -> None:
    """Begin the import in the background (idempotent)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_import, name="import-torch", daemon=True).start()


def wait() -> None:
    """Block this worker until the import thread has finished (starting it if nobody has)."""
    start()
    _done.wait()
