"""The fold heads in PyTorch: the CUDA path, the explicit bf16 CPU path, and the reference the
ONNX heads are tested against. `ensemble.py` imports this only when one of those is asked for
(or a bundle has no ONNX heads), so the CPU app never loads torch."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from .bundle import Bundle
from .model import fold_batchnorm, fold_models
from .onnx_heads import usable_cores

log = logging.getLogger(__name__)


def _single_thread() -> None:
    """Make this worker thread's OpenMP (oneDNN, PyTorch's kernels) use one thread.

    torch.set_num_threads would also change the process-wide default that every thread adopts at
    its first parallel op (the trainer's too), so the limit is set on this thread's OpenMP only,
    with threadpoolctl, after PyTorch's per-thread initialisation (which would otherwise undo it)."""
    torch.get_num_threads()
    threadpool_limits(1, user_api="openmp")


class TorchHeads:
    """The fold models with BatchNorm folded, on `device`. On CUDA: fp32 batches; a CUDA failure
    mid-run moves the models to the CPU and goes on. Raw-waveform models on the CPU run as
    (fold model, one clip) items on one single-threaded worker per core (measured with bench/:
    for batches it beats PyTorch's own threads), in bf16 when `precision` says so."""

    def __init__(self, bundle: Bundle, device: torch.device, precision: str = "fp32", device_note: str | None = None):
        self.device = device.type
        self.precision = precision
        self.device_note = device_note
        self.models = [fold_batchnorm(m).to(device) for m in fold_models(bundle.architecture, len(bundle.labels), bundle.fold_states)]
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    def _to_cpu(self, reason: str) -> None:
        log.warning("falling back to the CPU: %s", reason)
        self.device = "cpu"
        self.device_note = f"CUDA failed ({reason}); using the CPU"
        self.models = [m.cpu() for m in self.models]

    @torch.inference_mode()
    def logits(self, inputs: np.ndarray, batch_size: int = 16) -> np.ndarray:
        """inputs (n, ...) float32 -> logits (folds, n, labels) float32."""
        x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32))
        if self.device == "cpu" and x.ndim == 3 and x.shape[1] == 1:  # raw clips: the per-core pool
            return self._cpu_items(x)
        out = []
        for i in range(0, x.shape[0], batch_size):
            batch = x[i : i + batch_size]
            try:
                out.append(self._forward(batch))
            except RuntimeError as exc:
                if self.device != "cuda":
                    raise
                self._to_cpu(str(exc).splitlines()[0])
                out.append(self._forward(batch))
        if not out:
            return np.zeros((len(self.models), 0, self.models[0].fc.out_features), np.float32)
        return np.concatenate(out, axis=1)

    def _forward(self, batch: torch.Tensor) -> np.ndarray:
        x = batch.to(self.device)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.device == "cpu" and self.precision == "bf16"):
            return torch.stack([m(x) for m in self.models]).float().cpu().numpy()

    def _cpu_items(self, clips: torch.Tensor) -> np.ndarray:
        if self._pool is None and not self._closed:
            self._pool = ThreadPoolExecutor(usable_cores(), thread_name_prefix="ensemble", initializer=_single_thread)
        run_all = self._pool.map if self._pool is not None else map
        logits = torch.empty(len(self.models), clips.shape[0], self.models[0].fc.out_features)
        bf16 = self.precision == "bf16"

        def run(item: tuple[int, int]) -> None:
            f, i = item
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits[f, i] = self.models[f](clips[i].view(1, 1, -1))[0].float()

        list(run_all(run, [(f, i) for i in range(clips.shape[0]) for f in range(len(self.models))]))
        return logits.numpy()

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
