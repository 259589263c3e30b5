"""Export a bundle's fold models as one ONNX graph, the heads the app runs without torch.

The graph takes the whole batch (frames for a front-end bundle, clips for a raw-waveform one) and
returns every fold's logits, (folds, batch, labels): one ONNX Runtime call per batch instead of
one per fold. BatchNorm is folded first (`model.fold_batchnorm`); temperature and softmax stay
outside, in `ensemble.py`, so the card's calibration applies to both runtimes alike."""

from __future__ import annotations

import io
import json
import warnings
from typing import Any

import torch
from torch import nn

from tajweed_desktop.core.audio.formats import CLIP_SAMPLES
from tajweed_desktop.core.model import frontend
from tajweed_desktop.core.model.architectures import ARCHITECTURE
from tajweed_desktop.core.model.bundle import (
    ONNX_OPSET,
    Bundle,
    load_bundle,
    save_bundle,
)
from tajweed_desktop.core.model.card import CARD_NAME
from tajweed_desktop.core.model.networks import fold_batchnorm, fold_models


class FoldStack(nn.Module):
    """Every fold model over the same input, logits stacked on a new first axis."""

    def __init__(self, models: list[nn.Module]):
        super().__init__()
        self.folds = nn.ModuleList(models)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.folds])


def example_input(card: dict[str, Any]) -> torch.Tensor:
    if card.get("front_end") is not None:
        return torch.zeros(1, frontend.DIM, frontend.FRAMES)
    return torch.zeros(1, 1, CLIP_SAMPLES)


@torch.no_grad()
def heads_onnx(card: dict[str, Any], fold_states: list[dict[str, Any]]) -> bytes:
    """The ONNX bytes of the bundle's folds (batch axis dynamic)."""
    stack = FoldStack([fold_batchnorm(m) for m in fold_models(card.get("architecture", ARCHITECTURE), len(card["labels"]), fold_states)]).eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice, not ours to act on
        warnings.simplefilter("ignore")
        torch.onnx.export(
            stack, (example_input(card),), buf, input_names=["x"], output_names=["logits"],
            dynamic_axes={"x": {0: "batch"}, "logits": {1: "batch"}}, opset_version=ONNX_OPSET, dynamo=False,
        )
    return buf.getvalue()


def add_heads_onnx(bundle: Bundle) -> None:
    """Rewrite a bundle with its ONNX heads (a bundle from before they existed); the card, the
    weights and the report are kept as they are. Atomic, like every bundle write."""
    # the card as written (fields this version does not type are kept), checked again when saved
    written = json.loads((bundle.path / CARD_NAME).read_text(encoding="utf-8"))
    card = {k: v for k, v in written.items() if k not in ("folds", "heads_onnx")}
    report = bundle.path / "report"
    save_bundle(bundle.path, card, bundle.fold_states, report if report.is_dir() else None,
                heads_onnx=heads_onnx(card, bundle.fold_states))


def export_bundle_heads(path) -> Bundle:
    """`add_heads_onnx` on the bundle at `path`; returns it reloaded (and so re-verified)."""
    add_heads_onnx(load_bundle(path))
    return load_bundle(path)
