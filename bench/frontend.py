"""The front-end bundle (Whisper encoder + FrameCNN1D heads) beside the raw-waveform bundle, and
its ONNX Runtime heads (what the app runs) beside the same heads in torch, all in the same process:
one 4 s clip and a whole folder, decoding included."""

from __future__ import annotations

import time
from pathlib import Path

from tajweed_desktop.core.audio.recording import load_recording
from tajweed_desktop.core.checking.batch import check_files
from tajweed_desktop.core.model.bundle import Bundle
from tajweed_desktop.core.model.ensemble import Ensemble

from .common import interleaved_medians
from .inference import four_second_clip


def run(frames: Bundle, raw: Bundle, files: list[Path], repeats: int) -> list[dict]:
    ours, old = Ensemble(frames, device="cpu"), Ensemble(raw, device="cpu")
    in_torch = Ensemble(frames, device="cpu", runtime="torch")
    clip = four_second_clip(files)
    t = interleaved_medians({
        "raw": lambda: old.analyse(load_recording(clip)),
        "frames": lambda: ours.analyse(load_recording(clip)),
        "torch": lambda: in_torch.analyse(load_recording(clip)),
    }, repeats)
    folder = {}
    for name, ens in (("raw", old), ("frames", ours), ("torch", in_torch)):
        t0 = time.perf_counter()
        done = sum(r.ok for r in check_files(ens, files))
        folder[name] = done / (time.perf_counter() - t0)
    for ens in (ours, old, in_torch):
        ens.close()
    n = len(files)
    return [
        *_versus(f"single 4 s clip, front-end bundle, torch heads ({in_torch.precision})", t["torch"],
                 f"single 4 s clip, front-end bundle, ONNX heads ({ours.precision})", t["frames"],
                 "the torch heads' time", "<= 1.00x the torch heads", ms=True),
        *_versus(f"folder of {n} clips, front-end bundle, torch heads", folder["torch"],
                 f"folder of {n} clips, front-end bundle, ONNX heads", folder["frames"],
                 "the torch heads' rate", ">= 1.00x the torch heads"),
        *_versus(f"single 4 s clip, raw-waveform bundle {raw.name} ({old.precision})", t["raw"],
                 f"single 4 s clip, front-end bundle {frames.name} ({ours.precision})", t["frames"],
                 "the raw-waveform bundle's time", "<= 150 ms", ms=True),
        *_versus(f"folder of {n} clips, raw-waveform bundle", folder["raw"],
                 f"folder of {n} clips, front-end bundle", folder["frames"],
                 "the raw-waveform bundle's rate", ">= 8 clips/s"),
    ]


def _versus(base_what: str, base: float, what: str, value: float, of: str, target: str, ms: bool = False) -> list[dict]:
    """A baseline row and the row measured against it (times in ms, or rates in clips/s)."""
    show = (lambda v: f"{v * 1e3:.0f} ms") if ms else (lambda v: f"{v:.1f} clips/s")
    return [{"what": base_what, "value": show(base), "ratio": "1.00x", "target": ""},
            {"what": what, "value": show(value), "ratio": f"{value / base:.2f}x {of}", "target": target}]
