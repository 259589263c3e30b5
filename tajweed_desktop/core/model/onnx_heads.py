"""The fold heads on the CPU through ONNX Runtime: how the app and the checker run without torch.

The bundle's `folds.onnx` (exported by `onnx_export.py`) returns every fold's logits in one call.
Its bytes are hashed again here, the copy ONNX Runtime parses being the one checked."""

from __future__ import annotations

import hashlib

import numpy as np

from tajweed_desktop.core.common.errors import BundleError
from tajweed_desktop.core.model.bundle import Bundle
from tajweed_desktop.core.model.devices import usable_cores


class OnnxHeads:
    """All fold heads of a bundle as one ONNX Runtime session, fp32 on the CPU."""

    device = "cpu"
    precision = "fp32"
    device_note: str | None = None

    def __init__(self, bundle: Bundle, threads: int | None = None):
        import onnxruntime as ort  # native library: loaded when a model is built, not on import

        if bundle.onnx_path is None:
            raise BundleError(bundle.path, "it has no ONNX heads")
        blob = bundle.onnx_path.read_bytes()
        if hashlib.sha256(blob).hexdigest() != bundle.card.heads_onnx.sha256:
            raise BundleError(bundle.path, f"{bundle.onnx_path.name} changed after it was verified")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or usable_cores()
        options.inter_op_num_threads = 1
        # no busy-waiting between calls: the encoder and the GUI need those cores
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(blob, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own types for a graph it cannot load
            raise BundleError(bundle.path, f"{bundle.onnx_path.name} is unreadable ({str(exc).splitlines()[0]})") from None
        self._input = self.session.get_inputs()[0].name
        self.n_folds, self.n_labels = len(bundle.card.folds), len(bundle.labels)

    def logits(self, inputs: np.ndarray, batch_size: int = 16) -> np.ndarray:
        """inputs (n, ...) float32 -> logits (folds, n, labels) float32."""
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        out = [self.session.run(None, {self._input: inputs[i : i + batch_size]})[0]
               for i in range(0, inputs.shape[0], batch_size)]
        if not out:
            return np.zeros((self.n_folds, 0, self.n_labels), np.float32)
        logits = np.concatenate(out, axis=1)
        if logits.shape != (self.n_folds, inputs.shape[0], self.n_labels):
            raise ValueError(f"the ONNX heads gave {logits.shape}, expected "
                             f"{(self.n_folds, inputs.shape[0], self.n_labels)}")
        return logits

    def close(self) -> None:
        pass
