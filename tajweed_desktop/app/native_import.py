"""Import the native (pybind11) libraries once, early, on a plain Python thread, never on one of
Qt's pool threads; and run the work that builds a model on a plain thread too.

pybind11 remembers the Python thread state of the thread that first imports it. PySide gives
each task on a QThreadPool thread a fresh thread state and deletes it when the task ends, so after
torch was imported by a pool task, the next task on that thread that freed a tensor made from a
NumPy array took the GIL through the deleted state: a segfault. A plain Python thread keeps its
state until it ends, and nothing else ever runs on it. Importing takes seconds, so it still must
not happen on the GUI thread.

The CPU app runs without torch: `start()` imports the torch-free core, CTranslate2 (the speech
front end) and ONNX Runtime (the fold heads and the voice detector), all pybind11 modules.
torch comes in only through `require_torch()`, called where `plan_heads` chose the torch runtime
(CUDA, or a bundle without ONNX heads), on a plain thread as well.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from tajweed_desktop.core.common.threads import run_on_plain_thread

T = TypeVar("T")
TORCH_HEADS = "tajweed_desktop.core.model.torch_heads"  # imports torch

_done = threading.Event()
_started = False
_lock = threading.Lock()
_torch_lock = threading.Lock()


def _import() -> None:
    try:
        from tajweed_desktop.core.audio import recording  # noqa: F401
        from tajweed_desktop.core.model import ensemble, onnx_heads  # noqa: F401  (the core inference needs, torch-free)

        for name in ("ctranslate2", "onnxruntime"):
            try:
                importlib.import_module(name)
            except ImportError:  # reported where the model is built, with the reinstall hint
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
    threading.Thread(target=_import, name="import-native", daemon=True).start()


def wait() -> None:
    """Block this worker until the import thread has finished (starting it if nobody has)."""
    start()
    _done.wait()


def on_plain_thread(fn: Callable[..., T], *args, name: str = "native-work", **kwargs) -> T:
    """Run fn(*args, **kwargs) on a new plain Python thread and wait for it: its result, or its
    exception raised again here. For a pool worker whose work must not run on a pool thread."""
    return run_on_plain_thread(fn, *args, name=name, **kwargs)


def require_torch() -> None:
    """Import the torch heads (hence torch) on a plain thread and wait; the import's error, if
    any (torch not installed), is raised here. Only for a plan whose runtime is "torch"."""
    wait()
    with _torch_lock:  # one import thread, however many workers ask at once
        if TORCH_HEADS not in sys.modules:
            on_plain_thread(importlib.import_module, TORCH_HEADS, name="import-torch")
