"""Which devices and precisions a user may ask for, and how many cores this process may use:
written once, for the checker's and the trainer's options, the ensemble and both kinds of heads
(torch-free: `torch_device.py` resolves a torch device)."""

from __future__ import annotations

import os

DEVICE_CHOICES = ("auto", "cpu", "cuda")
PRECISION_CHOICES = ("auto", "fp32", "bf16")


def usable_cores() -> int:
    """Cores this process may run on (a container or taskset can allow fewer than the machine has)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 16))
