"""The torch device the torch heads and the trainer run on (needs torch; the CPU app never comes here)."""

from __future__ import annotations

import torch

from tajweed_desktop.core.model.devices import DEVICE_CHOICES


def resolve_device(requested: str = "auto") -> tuple[torch.device, str | None]:
    """Pick the device; return it with a note for the user when the request could not be met."""
    if requested not in DEVICE_CHOICES:
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}, not {requested!r}")
    if requested == "cpu":
        return torch.device("cpu"), None
    if not torch.cuda.is_available():
        note = "CUDA was requested but is not available; using the CPU" if requested == "cuda" else None
        return torch.device("cpu"), note
    try:  # a driver that is present but broken fails here rather than mid-analysis
        torch.zeros(1, device="cuda").add_(1).cpu()
    except RuntimeError as exc:
        return torch.device("cpu"), f"CUDA failed ({str(exc).splitlines()[0]}); using the CPU"
    return torch.device("cuda"), None
