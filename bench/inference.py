"""Single-clip latency and batch throughput of the ensemble against the naive path and the
roofline (the ensemble's arithmetic at the machine's measured matrix-multiply rate)."""

from __future__ import annotations

import time
from pathlib import Path

import soundfile as sf
import torch

from tajweed_desktop.core.audio.clips import model_clip
from tajweed_desktop.core.audio.recording import load_recording
from tajweed_desktop.core.checking.batch import check_files
from tajweed_desktop.core.model.bundle import Bundle
from tajweed_desktop.core.model.ensemble import Ensemble
from tajweed_desktop.core.model.networks import fold_models

from .common import interleaved_medians, matmul_rates, model_flops


def naive_analyse(bundle: Bundle, models: list[torch.nn.Module], path: Path) -> torch.Tensor:
    """The reference: decode, cut the clip, then each fold model as trained, fp32, eager, batch
    of one, one after another with PyTorch's default threads."""
    clip, _, _ = model_clip(load_recording(path))
    with torch.no_grad():
        probs = [torch.softmax(m(torch.from_numpy(clip).view(1, 1, -1)) / bundle.temperature, -1) for m in models]
    return torch.stack(probs).mean(0)


def versus_naive(naive_s: float, ours_s: float) -> str:
    r = naive_s / ours_s
    return f"{r:.2f}x faster than naive" if r >= 1 else f"{1 / r:.2f}x slower than naive"


def four_second_clip(files: list[Path]) -> Path:
    return min(files, key=lambda f: abs(sf.info(str(f)).duration - 4.0))


def run(bundle: Bundle, files: list[Path], repeats: int, naive_every: int) -> list[dict]:
    rates = matmul_rates()
    models = fold_models(bundle.architecture, len(bundle.labels), bundle.fold_states)
    flops = sum(model_flops(m) for m in models)
    ens = Ensemble(bundle, device="cpu")  # what the app runs: ONNX Runtime, fp32
    ens_bf16 = Ensemble(bundle, device="cpu", precision="bf16", runtime="torch")  # torch's per-core bf16 path
    clip = four_second_clip(files)
    t = interleaved_medians({
        "naive": lambda: naive_analyse(bundle, models, clip),
        "ours": lambda: ens.analyse(load_recording(clip)),
        "torch_bf16": lambda: ens_bf16.analyse(load_recording(clip)),
    }, repeats)
    roof32, roof16 = flops / rates["fp32"], flops / rates["bf16"]
    rows = [
        {"what": "matrix-multiply rate (fp32 / bf16)", "value": f"{rates['fp32'] / 1e9:.0f} / {rates['bf16'] / 1e9:.0f} GFLOP/s",
         "ratio": "", "target": ""},
        {"what": f"ensemble arithmetic per 4 s clip ({len(models)} folds)", "value": f"{flops / 1e9:.1f} GFLOP",
         "ratio": "", "target": ""},
        {"what": "single clip, naive (fp32 eager, batch 1, folds in turn)", "value": f"{t['naive'] * 1e3:.0f} ms",
         "ratio": "1.00x", "target": ""},
        {"what": f"single clip, ours ({ens.precision})", "value": f"{t['ours'] * 1e3:.0f} ms",
         "ratio": f"{versus_naive(t['naive'], t['ours'])}; {t['ours'] / roof32:.2f}x the fp32 roofline "
                  f"({roof32 * 1e3:.0f} ms), {t['ours'] / roof16:.2f}x the bf16 one ({roof16 * 1e3:.0f} ms)",
         "target": ">= 4x naive, <= 1.5x roofline"},
        {"what": f"single clip, {ens_bf16.precision}", "value": f"{t['torch_bf16'] * 1e3:.0f} ms",
         "ratio": f"{versus_naive(t['naive'], t['torch_bf16'])}; {t['torch_bf16'] / roof16:.2f}x the bf16 roofline",
         "target": ""},
    ]

    subset = files[::naive_every]
    batch = interleaved_medians({
        "naive": lambda: [naive_analyse(bundle, models, f) for f in subset],
        "ours": lambda: list(check_files(ens, subset)),
    }, max(1, repeats // 3), warmup=0)
    t0 = time.perf_counter()
    full = sum(r.ok for r in check_files(ens, files))
    full_s = time.perf_counter() - t0
    naive_rate, ours_rate = len(subset) / batch["naive"], len(subset) / batch["ours"]
    roof_rate32, roof_rate16 = rates["fp32"] / flops, rates["bf16"] / flops
    rows += [
        {"what": f"batch, naive ({len(subset)} clips, decode included)", "value": f"{naive_rate:.1f} clips/s",
         "ratio": "1.00x", "target": ""},
        {"what": f"batch, ours ({len(subset)} clips, decode included)", "value": f"{ours_rate:.1f} clips/s",
         "ratio": f"{ours_rate / naive_rate:.2f}x naive; {ours_rate / roof_rate32:.0%} of the fp32 roofline rate "
                  f"({roof_rate32:.1f}/s), {ours_rate / roof_rate16:.0%} of the bf16 one ({roof_rate16:.1f}/s)",
         "target": ">= 60% of roofline"},
        {"what": f"batch, ours, whole folder ({len(files)} clips, once)", "value": f"{full / full_s:.1f} clips/s",
         "ratio": f"{full} of {len(files)} analysed in {full_s:.1f} s", "target": ""},
    ]
    ens.close()
    ens_bf16.close()
    return rows
