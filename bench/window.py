"""The front end's window (issue 24): the shipped bundle's clips encoded padded to its card's
`pad_seconds` against today's 8 s, the same heads, in the same process, interleaved. The heads
do not change the time, so the 8 s run stands for the bundle before the window study. Where the
bundle itself pads to 8 s, its 4 s-window time is shown instead (what a 4 s bundle would cost)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio.clips import model_clip
from tajweed_desktop.core.audio.recording import load_recording
from tajweed_desktop.core.checking.batch import check_files
from tajweed_desktop.core.checking.verses import check_verse_file
from tajweed_desktop.core.model import frontend
from tajweed_desktop.core.model.bundle import Bundle
from tajweed_desktop.core.model.ensemble import Ensemble
from tajweed_desktop.core.model.transcriber import Transcriber

from .common import interleaved_medians
from .inference import four_second_clip

TODAY_PAD = 8.0  # the padding before issue 24


def run(bundle: Bundle, files: list[Path], repeats: int, verse: Path | None = None) -> list[dict]:
    new_pad = bundle.front_end.pad_seconds
    if new_pad == TODAY_PAD:
        new_pad = frontend.MIN_PAD_SECONDS
    new, old = Ensemble(bundle, device="cpu"), Ensemble(bundle, device="cpu")
    new.pad_seconds, old.pad_seconds = new_pad, TODAY_PAD
    clip, n = four_second_clip(files), len(files)
    single = interleaved_medians({"old": lambda: old.analyse(load_recording(clip)),
                                  "new": lambda: new.analyse(load_recording(clip))}, repeats)
    folder = interleaved_medians({"old": lambda: list(check_files(old, files)),
                                  "new": lambda: list(check_files(new, files))}, max(2, repeats // 4), warmup=0)
    clips = np.stack([model_clip(load_recording(f))[0] for f in files])
    enc = new.encoder
    mels = {name: [frontend.clip_log_mel(clips[i : i + 8], pad) for i in range(0, n, 8)]  # the batches encode() makes
            for name, pad in (("old", TODAY_PAD), ("new", new_pad))}
    encoder = interleaved_medians({name: lambda m=m: [enc.encode_log_mel(x) for x in m] for name, m in mels.items()},
                                  max(2, repeats // 4), warmup=0)
    rows = []
    if verse is not None:  # verse mode's sites are judged one encoder pass each, at the bundle's padding
        tr = Transcriber(new.encoder)
        given = interleaved_medians({"old": lambda: check_verse_file(old, tr, verse),
                                     "new": lambda: check_verse_file(new, tr, verse)}, max(2, repeats // 2))
        sites = len(check_verse_file(new, tr, verse).sites)
        rows = [{"what": f"verse mode, {verse.parent.name}/{verse.name} named by its file name ({sites} sites): align + "
                         f"judge every site, {TODAY_PAD:g} s window (before)", "value": f"{given['old']:.2f} s",
                 "ratio": "1.00x", "target": ""},
                {"what": f"verse mode, the same, {new_pad:g} s window", "value": f"{given['new']:.2f} s",
                 "ratio": f"{given['new'] / given['old']:.2f}x the {TODAY_PAD:g} s time", "target": ""}]
    for ens in (new, old):
        ens.close()
    rate = {k: n / v for k, v in folder.items()}
    enc_rate = {k: n / v for k, v in encoder.items()}
    label = f"{new_pad:g} s window"
    return [
        {"what": f"single 4 s clip, {TODAY_PAD:g} s window (before)", "value": f"{single['old'] * 1e3:.0f} ms",
         "ratio": "1.00x", "target": ""},
        {"what": f"single 4 s clip, {label}", "value": f"{single['new'] * 1e3:.0f} ms",
         "ratio": f"{single['new'] / single['old']:.2f}x the {TODAY_PAD:g} s time", "target": "<= 0.60x"},
        {"what": f"folder of {n} clips, {TODAY_PAD:g} s window (before)", "value": f"{rate['old']:.1f} clips/s",
         "ratio": "1.00x", "target": ""},
        {"what": f"folder of {n} clips, {label}", "value": f"{rate['new']:.1f} clips/s",
         "ratio": f"{rate['new'] / rate['old']:.2f}x the {TODAY_PAD:g} s rate; {rate['new'] / enc_rate['new']:.2f} "
                  f"of the encoder alone", "target": ">= 1.80x; >= 0.80 of the encoder alone"},
        {"what": f"encoder alone (log-mel computed beforehand), {TODAY_PAD:g} s / {label}",
         "value": f"{enc_rate['old']:.1f} / {enc_rate['new']:.1f} clips/s",
         "ratio": f"{enc_rate['new'] / enc_rate['old']:.2f}x", "target": ""},
        *rows,
    ]
