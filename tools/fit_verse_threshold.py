"""Fit verse identification's choices on the haneef verses (a reciter outside reciters5, whose
numbers the README reports), never on reciters5: the ranking rule and the "no verse found" score.

    PYTHONPATH=. python tools/fit_verse_threshold.py [--n 40] [--seed 0] [--max-seconds 30] [--beam 5]

For a seeded sample of haneef verses under 30 s it prints, per ranking rule (alignment score,
text cosine alone, alignment score x text cosine x the length fit to powers 0-2, with and without
the share of words heard), top-1 and top-5, and the alignment scores of
right and wrong first answers, from which NO_VERSE_SCORE (core/quran/identify.py) was set.
`--beam` sets the transcript's beam (TRANSCRIBE_BEAM; 1 is greedy), as its choice was made.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tajweed_desktop.core.audio.recording import load_recording  # noqa: E402
from tajweed_desktop.core.model.transcriber import Transcriber  # noqa: E402
from tajweed_desktop.core.quran import identify as ident  # noqa: E402
from tajweed_desktop.core.quran import words as qwords  # noqa: E402

DATA = os.environ.get("TAJWEED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=30.0,
                    help="only verses shorter than this (short verses are where runs of verses compete)")
    ap.add_argument("--beam", type=int, default=ident.TRANSCRIBE_BEAM, help="the transcript's beam size (1: greedy)")
    args = ap.parse_args()
    ident.TRANSCRIBE_BEAM = args.beam
    rows = [r for r in csv.DictReader(open(os.path.join(DATA, "haneef", "verses.csv"))) if float(r["duration_s"]) < args.max_seconds]
    random.Random(args.seed).shuffle(rows)
    tr = Transcriber()
    rules = {"align": lambda c, n: c.score or 0, "text": lambda c, n: c.text_score,
             **{f"align*text*len^{p}": (lambda c, n, p=p: ident.rank_score(c, n, p, heard=False)) for p in (0, 0.5, 1, 2)},
             **{f"align*text*len^{p}*heard": (lambda c, n, p=p: ident.rank_score(c, n, p)) for p in (0, 1)}}
    hits = {k: [0, 0] for k in rules}
    right, wrong = [], []
    for r in rows[: args.n]:
        rec = load_recording(os.path.join(DATA, "haneef", r["file"]))
        truth = (int(r["surah"]), int(r["ayah"]))
        t0 = time.time()
        try:
            res = ident.identify(tr, rec.samples)
        except ident.NotRecitationError as exc:  # a miss for every rule
            print(f"{r['file']} {truth} -> {exc}", flush=True)
            wrong.append(0.0)
            continue
        aligned = [c for c in res.candidates if c.score is not None]
        letters = qwords.letter_count(res.transcript)
        for k, key in rules.items():
            order = sorted(aligned, key=lambda c: key(c, letters), reverse=True)
            labels = [(c.surah, c.first_ayah, c.last_ayah) for c in order]
            hits[k][0] += labels[:1] == [(*truth, truth[1])]
            hits[k][1] += (*truth, truth[1]) in labels[:5]
        best = res.candidates[0]
        ok = (best.surah, best.first_ayah, best.last_ayah) == (*truth, truth[1])
        (right if ok else wrong).append(best.score or 0)
        print(f"{r['file']} {truth} -> {best.label} {best.score:.3f} {'ok' if ok else 'WRONG'} {time.time() - t0:.1f}s", flush=True)
    n = min(args.n, len(rows))
    print(f"beam {args.beam}, {n} haneef verses under {args.max_seconds:g} s (seed {args.seed})")
    for k, (h1, h5) in hits.items():
        print(f"{k:>24}: top-1 {h1 / n:.3f}  top-5 {h5 / n:.3f}  (n={n})")
    for name, v in (("right", right), ("wrong", wrong)):
        if v:
            print(f"score of {name} first answers: n={len(v)} min {min(v):.3f} p10 {np.percentile(v, 10):.3f} median {np.median(v):.3f} max {max(v):.3f}")


if __name__ == "__main__":
    main()
