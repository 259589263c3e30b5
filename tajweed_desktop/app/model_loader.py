"""Loading the model bundle in a worker, and the setting that names it.

A bundled model is stored by its name ("tajweed4"), not by a path into the install folder, so the
setting survives an upgrade or a move; any other folder is stored as its path."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from tajweed_desktop.core.common.errors import TajweedError
from tajweed_desktop.core.model.paths import bundled_models_dir, default_bundle_path, no_bundle_help
from . import native_import
from .workers import WorkerSet


def _build(bundle, device: str):
    from tajweed_desktop.core.model import ensemble as core_ensemble

    ensemble = core_ensemble.Ensemble(bundle, device=device)
    ensemble.warm_up()
    return ensemble


def _load_ensemble(path: str, device: str):
    """The loader's pool worker: reads the bundle, imports torch only if its plan needs it, then
    builds and warms up the Ensemble on a plain Python thread that it waits for.

    The model is built off the pool thread for both runtimes, one path rather than two: with
    torch, the pool thread once sat forever inside a torch op while building (and pool threads
    are where pybind11's thread-state bookkeeping goes wrong, see native_import); with ONNX
    Runtime it costs one thread start and keeps CTranslate2's and ONNX Runtime's first work
    (loading the encoder, the sessions) off the pool as well."""
    native_import.wait()
    from tajweed_desktop.core.model.bundle import load_bundle
    from tajweed_desktop.core.model.ensemble import plan_heads

    bundle = load_bundle(path)
    if plan_heads(bundle, device).runtime == "torch":
        native_import.require_torch()
    return native_import.on_plain_thread(_build, bundle, device, name="build-model")


def setting_for(path: str | Path) -> str:
    """What to store for a chosen bundle: its name when it is a bundled one, else its path."""
    p = Path(path)
    bundled = bundled_models_dir() / p.name
    try:
        if bundled.is_dir() and p.resolve() == bundled.resolve():
            return p.name
    except OSError:
        pass
    return str(p)


def path_for(setting: str) -> Path:
    """The bundle folder a stored setting names ("" is the default bundle)."""
    if not setting:
        return default_bundle_path()
    p = Path(setting)
    if not p.is_absolute() and len(p.parts) == 1 and (bundled_models_dir() / setting / "model.json").exists():
        return bundled_models_dir() / setting
    return p


class ModelLoader(QObject):
    ready = Signal(object)  # the Ensemble
    failed = Signal(str)  # one line for the user

    def __init__(self, workers: WorkerSet, parent=None):
        super().__init__(parent)
        self.workers = workers
        self.ensemble = None
        self.loading = False
        self.closing = False

    def load(self, path: Path, device: str) -> None:
        self.release()
        if not (path / "model.json").exists():
            self.failed.emit(str(TajweedError(no_bundle_help(path))))
            return
        self.loading = True
        self.workers.start(_load_ensemble, str(path), device, on_result=self._ready, on_error=self._failed)

    def _ready(self, ensemble) -> None:
        self.loading = False
        if self.closing:  # the window closed while the model loaded
            self.workers.start(ensemble.close)
            return
        self.ensemble = ensemble
        self.ready.emit(ensemble)

    def _failed(self, exc: Exception) -> None:
        self.loading = False
        self.failed.emit(str(exc))

    def release(self) -> None:
        if self.ensemble is not None:  # its threads end once any analysis still running is done
            self.workers.start(self.ensemble.close)
        self.ensemble = None

    def close(self) -> None:
        self.closing = True
        self.release()
