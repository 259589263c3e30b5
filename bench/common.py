"""Timing helpers, the machine's measured matrix-multiply rate, and the ensemble's arithmetic."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from tajweed_desktop.core.audio.formats import CLIP_SAMPLES


def interleaved_medians(candidates: dict[str, Callable[[], object]], repeats: int, warmup: int = 1) -> dict[str, float]:
    """Median seconds per call of each candidate, run in turn (A, B, A, B, ...) so that a slow
    spell of a shared machine hits every candidate alike instead of whichever ran then."""
    for _ in range(warmup):
        for fn in candidates.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def matmul_rates(repeats: int = 7) -> dict[str, float]:
    """Peak FLOP/s of a square matrix multiply (fp32 and bf16), the best size of a few, with
    PyTorch's default threads: the machine's arithmetic limit as this software stack reaches it."""
    rates = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        best = 0.0
        for n in (1024, 2048):
            a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
            t = interleaved_medians({"mm": lambda a=a, b=b: a @ b}, repeats)["mm"]
            best = max(best, 2 * n**3 / t)
        rates[name] = best
    return rates


def model_flops(model: nn.Module, samples: int = CLIP_SAMPLES) -> int:
    """Multiply-adds x 2 of the convolutions and the linear layer for one clip, by tracing shapes."""
    flops = 0

    def conv_hook(m: nn.Conv1d, inp, out) -> None:
        nonlocal flops
        flops += 2 * out.shape[-1] * m.out_channels * m.in_channels * m.kernel_size[0] // m.groups

    def linear_hook(m: nn.Linear, inp, out) -> None:
        nonlocal flops
        flops += 2 * m.in_features * m.out_features

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv1d)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        model(torch.zeros(1, 1, samples))
    for h in hooks:
        h.remove()
    return flops


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {torch.get_num_threads()} threads, {gpu}, torch {torch.__version__}"
