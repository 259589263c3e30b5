"""Live mode's delay and agreement on reciters5 verses (issue 19): each verse replayed at real
time through core/checking/live.py (`replay`: a simulated clock that counts this machine's compute
time), its live verdicts set beside the final verse-mode pass.

    python tools/live_eval.py [--per-reciter 4] [--identify] [--clock cpu] [--csv OUT]

Verses: per reciter, `--per-reciter` verses with at least one site, spread over the 46 verses
(a different slice of them for each reciter, so the five together cover more verses). The verse
is named by the file name (SSSAAA.mp3, as `tajweed-check --verses` does) unless --identify.
Prints the median and 90th percentile delay (seconds from the end of the word after the site, in
the final alignment, to its live verdict), the share of sites whose live verdict equals the final
one, and the misses (sites the final pass judged that got no live verdict).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tajweed_desktop.core.audio.decode import decode_bounded  # noqa: E402
from tajweed_desktop.core.checking.live import LIVE_COLUMNS, live_rows, replay  # noqa: E402
from tajweed_desktop.core.model.ensemble import Ensemble  # noqa: E402
from tajweed_desktop.core.model.paths import default_bundle_path  # noqa: E402
from tajweed_desktop.core.model.transcriber import Transcriber  # noqa: E402
from tajweed_desktop.core.quran import text  # noqa: E402
from tajweed_desktop.core.quran.identify import verse_from_filename  # noqa: E402

VERSES = REPO.parent / "shared" / "data" / "reciters5" / "verses"
RECITERS = ["abdul_basit", "husary", "maher", "minshawi", "shuraim"]


def sample(per_reciter: int) -> list[Path]:
    out = []
    for k, reciter in enumerate(RECITERS):
        files = [f for f in sorted((VERSES / reciter).glob("*.mp3"))
                 if text.sites(*verse_from_filename(f.name)[:2])]
        step = max(1, len(files) // per_reciter)
        out += [files[(k + i * step) % len(files)] for i in range(per_reciter)]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-reciter", type=int, default=4)
    ap.add_argument("--identify", action="store_true", help="find the verse from the audio (not the file name)")
    ap.add_argument("--chunk", type=float, default=0.25, help="seconds of audio per recorder block")
    ap.add_argument("--csv", type=Path, help="write the site rows here")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="the replay's clock: wall time (what this machine gives now, other work and all), or "
                         "this process's CPU time (all its threads: no less than an idle 2-core CPU's wall time)")
    args = ap.parse_args()
    ens = Ensemble.from_path(default_bundle_path())
    tr = Transcriber(ens.encoder)
    rows, audio, compute, updates, finish = [], 0.0, 0.0, 0, 0.0
    t0 = time.perf_counter()
    for f in sample(args.per_reciter):
        x = decode_bounded(f)[0]
        given = None if args.identify else verse_from_filename(f.name)
        rp = replay(ens, tr, x, given, path=f, chunk_s=args.chunk,
                    clock=time.process_time if args.clock == "cpu" else time.perf_counter)
        name = f"{f.parent.name}/{f.name}"
        rs = live_rows(rp, name)
        rows += rs
        audio += rp.duration
        compute += rp.compute_s
        updates += rp.updates
        finish += rp.finish_s
        for r in rs:
            if r["site"] != "" or r["error"]:
                print(f"{name} {r['surah']}:{r['ayah']} site {r['site'] or '-'}  final {r['outcome'] or r['error'][:60]}  "
                      f"live {r['live_heard'] or '-'}  delay {r['delay_s']}", flush=True)
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=LIVE_COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    final = [r for r in rows if r["site"] != "" and r["outcome"]]
    judged = [r for r in final if r["outcome"] != "not recited"]
    live = [r for r in judged if r["live_heard"]]
    delays = np.array([float(r["delay_s"]) for r in live if r["delay_s"] != ""])
    agree = sum(r["live_heard"] == r["outcome"] for r in live)
    live_only = [r for r in rows if r["site"] != "" and not r["outcome"]]
    errors = {r["file"] for r in rows if r["error"] and r["site"] == ""}
    print(f"\n{len({r['file'] for r in rows})} verses, {audio:.0f} s of audio; {len(errors)} the final pass could not check: "
          + ", ".join(sorted(errors)))
    print(f"sites judged by the final pass: {len(judged)}; with a live verdict: {len(live)} "
          f"(missed: {len(judged) - len(live)}); judged live only (not in the final pass): {len(live_only)}")
    if delays.size:
        print(f"delay: median {np.median(delays):.2f} s, p90 {np.percentile(delays, 90):.2f} s, "
              f"min {delays.min():.2f}, max {delays.max():.2f} (targets: <= 1.5 s median, <= 3 s p90)")
    if live:
        print(f"agreement live vs final: {agree} of {len(live)} = {agree / len(live):.1%} "
              f"(of all final sites, a missed one counted as disagreeing: {agree / len(judged):.1%}; target >= 95%)")
    print(f"live updates: {updates}, compute {compute:.1f} s for {audio:.1f} s of audio "
          f"({compute / max(audio, 1e-9):.2f} s per s); final passes {finish:.1f} s; wall {time.perf_counter() - t0:.0f} s. "
          f"Clock: {args.clock}" + (" (this machine's shared 2 CPU cores: pessimistic)" if args.clock == "wall" else
                                   " (the process's CPU time, all threads)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
