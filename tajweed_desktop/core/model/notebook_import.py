"""Import the teaching notebook's pickled fold checkpoints into a bundle (needs torch)."""

from __future__ import annotations

from pathlib import Path

import torch

from tajweed_desktop.core.common.errors import BundleError
from tajweed_desktop.core.model.bundle import new_card, save_bundle
from tajweed_desktop.core.model.networks import CNN1D


def import_notebook_checkpoints(
    checkpoints: list[str | Path], labels: list[str], target: str | Path, name: str | None = None
) -> Path:
    """Turn the teaching notebook's `fold{k}_best.pt` files into a bundle.

    The notebook saved pickles ({model_state_dict, optimizer_state_dict, epoch, f1, fold});
    they are read with `weights_only=True`, which refuses anything but tensors and plain data.
    """
    states, scores = [], []
    for ckpt in checkpoints:
        try:
            data = torch.load(ckpt, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises several types for a refused or damaged pickle
            raise BundleError(Path(ckpt), f"not a loadable notebook checkpoint ({str(exc).splitlines()[0]})") from None
        state = data.get("model_state_dict", data) if isinstance(data, dict) else None
        if not isinstance(state, dict):
            raise BundleError(Path(ckpt), "holds no model_state_dict")
        model = CNN1D(len(labels))
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise BundleError(Path(ckpt), f"does not match CNN1D with {len(labels)} labels ({str(exc).splitlines()[0]})") from None
        states.append(model.state_dict())
        if isinstance(data, dict) and "f1" in data:
            scores.append(float(data["f1"]))
    cv = {"source": "notebook checkpoints", "fold_macro_f1": scores} if scores else {}
    card = new_card(name or Path(target).name, labels, cross_validation=cv)
    return save_bundle(target, card, states)
