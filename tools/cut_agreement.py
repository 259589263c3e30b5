"""Cut agreement: the same sites of reciters5's verses cut from the aligner's word onsets (what the
trainer's whole-verse source and verse mode use) and from QUL's (`word_timings.csv`, what
reciters5's training clips were cut from), with the one cut (`core.checking.verses.cut_sites`).
Prints how far the clips' edges differ and how often the bundle's verdicts on the two clips agree.

    PYTHONPATH=. python tools/cut_agreement.py [--model tajweed4] [--limit N] [--out reports/cut-agreement]

The shipped bundle was trained on reciters5's own QUL-cut clips, so its verdicts on the QUL cuts
flatter them; the agreement of the two verdicts is the number that matters here. Verses whose QUL
timings do not number every word are skipped (counted). The aligner's alignments are cached as the
trainer caches them (`--verse-cache`, default runs/verse-cache), so a second run is quick.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tajweed_desktop.core.audio.decode import decode_bounded  # noqa: E402
from tajweed_desktop.core.audio.formats import SAMPLE_RATE  # noqa: E402
from tajweed_desktop.core.audio.recording import recording_from_array  # noqa: E402
from tajweed_desktop.core.checking.verses import cut_sites, judge_sites  # noqa: E402
from tajweed_desktop.core.common.hashing import sha256_of  # noqa: E402
from tajweed_desktop.core.model.ensemble import Ensemble  # noqa: E402
from tajweed_desktop.core.model.paths import bundled_models_dir  # noqa: E402
from tajweed_desktop.core.quran import words as qwords  # noqa: E402
from trainer import verses as V  # noqa: E402

DATA = Path(os.environ.get("TAJWEED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
JUDGED = ("as expected", "not yet", "uncertain")


def pct(x: list[float], q: float) -> float:
    return round(float(np.percentile(x, q)), 3) if x else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tajweed4")
    ap.add_argument("--limit", type=int, default=0, help="only every k-th file, N in all (0: all 230)")
    ap.add_argument("--verse-cache", type=Path, default=V.DEFAULT_VERSE_CACHE)
    ap.add_argument("--out", type=Path, default=Path("reports") / "cut-agreement")
    args = ap.parse_args()
    root = DATA / "reciters5"
    qul: dict = {}
    for r in csv.DictReader(open(root / "word_timings.csv", encoding="utf-8")):
        qul.setdefault((r["reciter"], int(r["surah"]), int(r["ayah"])), {})[int(r["word"])] = int(r["start_ms"]) / 1000
    files = V.list_verse_files(root / "verses")
    if args.limit:
        files = files[:: max(1, len(files) // args.limit)][: args.limit]
    model = Path(args.model) if Path(args.model).exists() else bundled_models_dir() / args.model
    ens = Ensemble.from_path(model, device="cpu")
    cache = V.VerseCache(args.verse_cache)
    rows, skipped = [], []
    t0 = time.perf_counter()
    for vf in files:
        q = qul.get((vf.voice, vf.surah, vf.ayah), {})
        if sorted(q) != list(range(1, len(qwords.verse_words(vf.surah, vf.ayah)) + 1)):
            skipped.append(f"{vf.voice}/{vf.path.name}")
            continue
        raw, rate, ch = decode_bounded(vf.path)
        rec = recording_from_array(raw, SAMPLE_RATE, vf.path, ch, original_rate=rate)
        al = cache.alignment(vf, sha256_of(vf.path), rec.samples)
        alq = V.alignment_from_onsets(vf.surah, vf.ayah, q, raw.shape[0] / SAMPLE_RATE)
        ra, rq = judge_sites(ens, raw, rec, al), judge_sites(ens, raw, rec, alq)
        doubts = [V.doubt(c, al.score) for c in cut_sites(raw, rec, al)]
        for a, b, why in zip(ra, rq, doubts):
            pa, pb = a.prediction, b.prediction
            rows.append({"reciter": vf.voice, "surah": vf.surah, "ayah": vf.ayah, "site": a.site, "expected": a.expected,
                         "start_aligner": round(a.start, 3), "start_qul": round(b.start, 3),
                         "end_aligner": round(a.end, 3), "end_qul": round(b.end, 3),
                         "outcome_aligner": a.outcome, "outcome_qul": b.outcome,
                         "heard_aligner": pa.top_rule if pa else "", "heard_qul": pb.top_rule if pb else "",
                         "trainer_left_out": why, "score": round(al.score, 4)})
    seconds = time.perf_counter() - t0
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "sites.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    def agreement(rs: list[dict]) -> dict:
        both = [r for r in rs if r["heard_aligner"] and r["heard_qul"]]
        ds = [abs(r["start_aligner"] - r["start_qul"]) for r in rs] + [abs(r["end_aligner"] - r["end_qul"]) for r in rs]
        return {
            "sites": len(rs), "judged_in_both": len(both),
            "verdicts_agree": round(sum(r["heard_aligner"] == r["heard_qul"] for r in both) / max(1, len(both)), 3),
            "text_rule_aligner_cut": round(sum(r["heard_aligner"] == r["expected"] for r in both) / max(1, len(both)), 3),
            "text_rule_qul_cut": round(sum(r["heard_qul"] == r["expected"] for r in both) / max(1, len(both)), 3),
            "edge_seconds_median": pct(ds, 50), "edge_seconds_p90": pct(ds, 90),
            "edges_within_0.1s": round(float(np.mean([d <= 0.1 for d in ds])), 3) if ds else None,
            "edges_within_0.2s": round(float(np.mean([d <= 0.2 for d in ds])), 3) if ds else None,
            "sites_both_edges_within_0.2s": round(float(np.mean(
                [abs(r["start_aligner"] - r["start_qul"]) <= 0.2 and abs(r["end_aligner"] - r["end_qul"]) <= 0.2 for r in rs])), 3) if rs else None,
            "aligner_minus_qul_start_median": pct([r["start_aligner"] - r["start_qul"] for r in rs], 50),
            "aligner_minus_qul_end_median": pct([r["end_aligner"] - r["end_qul"] for r in rs], 50),
        }

    outcomes: dict = {}
    for r in rows:
        k = f"{r['outcome_aligner'] in JUDGED and 'judged' or r['outcome_aligner']} / {r['outcome_qul'] in JUDGED and 'judged' or r['outcome_qul']}"
        outcomes[k] = outcomes.get(k, 0) + 1
    left: dict = {}
    for r in rows:
        if r["trainer_left_out"]:
            left[r["trainer_left_out"]] = left.get(r["trainer_left_out"], 0) + 1
    summary = {
        "model": str(model), "files": len(files), "skipped_no_qul_numbering": len(skipped), "seconds": round(seconds, 1),
        "all_sites": agreement(rows),
        "sites_the_trainer_keeps": agreement([r for r in rows if not r["trainer_left_out"]]),
        "outcomes_aligner_over_qul": outcomes, "trainer_left_out": left,
        "per_reciter": {v: agreement([r for r in rows if r["reciter"] == v and not r["trainer_left_out"]])
                        for v in sorted({r["reciter"] for r in rows})},
        "note": "the bundle was trained on reciters5's QUL-cut clips: its verdicts on the QUL cuts flatter them",
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(json.dumps(summary, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
