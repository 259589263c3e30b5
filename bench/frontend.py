"""The front-end bundle (Whisper encoder + FrameCNN1D heads) beside the raw-waveform bundle, in
the same process: one 4 s clip and a whole folder, decoding included."""

from __future__ import annotations

import time
from pathlib import Path

from tajweed_desktop.core import audio
from tajweed_desktop.core.batch import check_files
from tajweed_desktop.core.bundle import Bundle
from tajweed_desktop.core.ensemble import Ensemble

from .common import interleaved_medians
from .inference import four_second_clip


def run(frames: Bundle, raw: Bundle, files: list[Path], repeats: int) -> list[dict]:
    ours, old = Ensemble(frames, device="cpu"), Ensemble(raw, device="cpu")
    clip = four_second_clip(files)
    t = interleaved_medians({
        "raw": lambda: old.analyse(audio.load_recording(clip)),
        "frames": lambda: ours.analyse(audio.load_recording(clip)),
    }, repeats)
    folder = {}
    for name, ens in (("raw", old), ("frames", ours)):
        t0 = time.perf_counter()
        done = sum(r.ok for r in check_files(ens, files))
        folder[name] = done / (time.perf_counter() - t0)
    ours.close()
    old.close()
    return [
        {"what": f"single 4 s clip, raw-waveform bundle {raw.name} ({old.precision})", "value": f"{t['raw'] * 1e3:.0f} ms",
         "ratio": "1.00x", "target": ""},
        {"what": f"single 4 s clip, front-end bundle {frames.name} ({ours.precision})", "value": f"{t['frames'] * 1e3:.0f} ms",
         "ratio": f"{t['frames'] / t['raw']:.2f}x the raw-waveform bundle's time", "target": "<= 150 ms"},
        {"what": f"folder of {len(files)} clips, raw-waveform bundle", "value": f"{folder['raw']:.1f} clips/s",
         "ratio": "1.00x", "target": ""},
        {"what": f"folder of {len(files)} clips, front-end bundle", "value": f"{folder['frames']:.1f} clips/s",
         "ratio": f"{folder['frames'] / folder['raw']:.2f}x the raw-waveform bundle's rate", "target": ">= 8 clips/s"},
    ]
