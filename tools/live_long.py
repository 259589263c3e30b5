"""Live mode over a long recording (issue 19: memory < 500 MB over 5 minutes): one reciter's verses
one after another (surah 82, then 109, 111, 112, 113 and 1: each surah change is a verse that is
not the next one), replayed at real time through the same code path as the app's live worker
(core/checking/live.py `replay`, freed memory given back after each update as app/live_mode.py's
worker does), in a process of its own (a test process holds torch and more, which would hide what
live mode adds; the app's Qt is not loaded either: tools/live_bench.py measures the window).
Prints per minute of audio the resident memory, the mean update time and the longest audio an
update looked at; `--json` writes the summary.

    python tools/live_long.py [--minutes 5] [--reciter husary] [--clock cpu] [--final] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tajweed_desktop.core.common.memory import limit_malloc_arenas, release_free_memory, resident_mb  # noqa: E402

VERSES = REPO.parent / "shared" / "data" / "reciters5" / "verses"
SURAHS = [(82, 19), (109, 6), (111, 5), (112, 4), (113, 5), (1, 7)]
GAP_S = 0.6  # a breath between verses


def recitation(reciter: str, minutes: float, root: Path = VERSES) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Whole verses one after another until `minutes` of audio: the samples and (surah, ayah, start s)."""
    from tajweed_desktop.core.audio.decode import decode_bounded

    parts, starts, n = [], [], 0
    for surah, count in SURAHS:
        for ayah in range(1, count + 1):
            x = decode_bounded(root / reciter / f"{surah:03d}{ayah:03d}.mp3")[0]
            starts.append((surah, ayah, n / 16000))
            parts += [x, np.zeros(int(GAP_S * 16000), np.float32)]
            n += len(x) + int(GAP_S * 16000)
            if n >= minutes * 60 * 16000:
                return np.concatenate(parts), starts
    return np.concatenate(parts), starts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--reciter", default="husary")
    ap.add_argument("--data", type=Path, default=VERSES, help="reciters5's verses folder")
    ap.add_argument("--final", action="store_true", help="also run the final verse-mode pass on the whole recording")
    ap.add_argument("--json", type=Path, help="write the summary here")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="the replay's clock: wall time, or this process's CPU time (what an update would take "
                         "on one free core: the same replay whatever else the machine runs)")
    args = ap.parse_args()

    limit_malloc_arenas()  # as the app's main does, before any thread starts
    from tajweed_desktop.core.checking import live
    from tajweed_desktop.core.model.ensemble import Ensemble
    from tajweed_desktop.core.model.paths import default_bundle_path
    from tajweed_desktop.core.model.transcriber import Transcriber

    x, starts = recitation(args.reciter, args.minutes, args.data)
    ens = Ensemble.from_path(default_bundle_path())
    tr = Transcriber(ens.encoder)
    from tajweed_desktop.core.quran import identify

    identify.opening_candidates("الحمد لله")  # the verse index, built when the app's model is ready (app/live_mode.warm_up)
    release_free_memory()  # what decoding the verses and building the index left
    loaded = resident_mb()
    print(f"{len(x) / 16000 / 60:.1f} min of audio, {len(starts)} verses of {args.reciter}; "
          f"RSS with the models loaded {loaded:.0f} MB", flush=True)
    peak = [loaded]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], resident_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    minutes: dict[int, dict] = {}
    last: list = []
    between = [loaded]  # the most resident between updates (after each one's freed memory went back)

    def on_update(state, spent: float) -> None:
        m = minutes.setdefault(int(state.audio_s // 60), {"spent": [], "segment": 0.0})
        m["spent"].append(spent)
        m["segment"] = max(m["segment"], state.segment_s)
        if last and int(state.audio_s // 60) > int(last[0].audio_s // 60):
            k = int(last[0].audio_s // 60)
            print(f"  minute {k + 1}: RSS between updates up to {between[0]:.0f} MB, peak so far {peak[0]:.0f} MB; mean update "
                  f"{np.mean(minutes[k]['spent']):.2f} s, longest audio looked at {minutes[k]['segment']:.1f} s, "
                  f"status {last[0].status}, {len(last[0].sites)} sites, {len(last[0].verses)} verses followed", flush=True)
        last[:] = [state]
        release_free_memory()  # after every update, as the app's live worker does (app/live_mode.py TRIM_SECONDS)
        between[0] = max(between[0], resident_mb())

    t0 = time.perf_counter()
    try:
        rp = live.replay(ens, tr, x, final=args.final, on_update=on_update,
                         clock=time.process_time if args.clock == "cpu" else time.perf_counter)
    finally:
        done.set()
        sampler.join()
    live_peak = peak[0]
    state = last[0]
    recited = [(s, a) for s, a, _ in starts]
    followed = [list(v) for v in state.verses]
    summary = {
        "audio_s": round(rp.duration, 1), "clock": args.clock, "verses": len(recited), "reciter": args.reciter,
        "loaded_mb": round(loaded), "peak_mb": round(live_peak), "between_updates_mb": round(between[0]),
        "after_mb": round(resident_mb()),
        "updates": rp.updates, "compute_s": round(rp.compute_s, 1), "wall_s": round(time.perf_counter() - t0),
        "longest_segment_s": round(max(m["segment"] for m in minutes.values()), 1),
        "mean_update_s_by_minute": [round(float(np.mean(m["spent"])), 2) for _, m in sorted(minutes.items())],
        "followed": followed, "recited_followed": sum(list(v) in followed for v in recited),
        "surahs_recited": sorted({s for s, _ in recited}), "surahs_followed": sorted({s for s, _ in state.verses}),
        "sites_live": len(state.sites),
    }
    if args.final and rp.report is not None:
        summary["final_s"] = round(rp.finish_s, 1)
        summary["final_label"] = rp.report.final.alignment.label if rp.report.final.alignment else rp.report.final.error
    print(json.dumps(summary, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
