"""Which device runs the torch models: the choices, and the one decision both the inference
heads (`torch_heads.py`) and the trainer take. Imports nothing from the rest of the core, so
neither side imports the other to get it; torch is imported only when a device is resolved."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def check_device(requested: str) -> None:
    """ValueError naming the choices unless `requested` is one of them."""
    if requested not in DEVICE_CHOICES:
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}, not {requested!r}")


def resolve_device(requested: str = "auto") -> tuple[torch.device, str | None]:
    """Pick the device; return it with a note for the user when the request could not be met."""
    import torch  # only the torch paths call this (see pyproject's import contract)

    check_device(requested)
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
