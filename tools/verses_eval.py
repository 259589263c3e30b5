"""`make verses`: verse mode on reciters5's verse recordings (230 MP3s, five reciters, QUL word
timings), printing the numbers the README's "Verse mode (checker)" section quotes.

    PYTHONPATH=. python tools/verses_eval.py [--model tajweed4 | --heldout DIR] [--limit N] [--out reports/verses]

(a) identification from the audio alone: top-1 / top-5 (a file counts when its verse alone is the
    candidate, not a run that holds it); (b) word onsets of the true verse's
    alignment against QUL's (median, 90th percentile, share within 0.2 / 0.4 s), for all words and
    for the site words; (c) per-site outcome with the verse named by its file name, judged by `--model` (the shipped
    bundle heard these five reciters, so its score here flatters it) or, with `--heldout DIR`, for
    each reciter by the one-fold bundle in DIR whose card says it never heard that voice (the
    leave-one-voice-out run's fold models, `python -m trainer assemble RUN --fold K`; they did hear
    the other four reciters say these same words);
    (d) seconds per verse (identify; align + judge).
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
from tajweed_desktop.core.checking.verses import judge_sites  # noqa: E402
from tajweed_desktop.core.model.bundle import load_bundle  # noqa: E402
from tajweed_desktop.core.model.ensemble import Ensemble  # noqa: E402
from tajweed_desktop.core.model.paths import bundled_models_dir  # noqa: E402
from tajweed_desktop.core.model.transcriber import Transcriber  # noqa: E402
from tajweed_desktop.core.quran import identify as ident  # noqa: E402
from tajweed_desktop.core.quran import text  # noqa: E402
from tajweed_desktop.core.quran import words as qwords  # noqa: E402
from tajweed_desktop.core.quran.alignment import align_verses  # noqa: E402

DATA = Path(os.environ.get("TAJWEED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def verse_text(surah: int, first: int, last: int) -> str:
    return " ".join(qwords.plain(text.verse_text(surah, k)) for k in range(first, last + 1))


def site_summary(rows: list[dict]) -> dict:
    """Outcomes, the share whose heard rule is the text's (all sites with a verdict, and the sure
    ones), per rule recall and per reciter."""
    heard = [r for r in rows if r["heard"]]
    sure = [r for r in rows if r["outcome"] in ("as expected", "not yet")]

    def share(rs: list[dict]) -> float:
        return round(sum(r["heard"] == r["expected"] for r in rs) / max(1, len(rs)), 3)

    outcomes: dict[str, int] = {}
    for r in rows:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    return {
        "sites": len(rows), "outcomes": outcomes, "with_verdict": len(heard),
        "top_rule_is_text_rule": share(heard), "as_expected_among_sure": share(sure), "sure": len(sure),
        "recall_per_rule": {e: share([r for r in heard if r["expected"] == e]) for e in sorted({r["expected"] for r in heard})},
        "per_reciter": {v: share([r for r in heard if r["reciter"] == v]) for v in sorted({r["reciter"] for r in heard})},
    }


def heldout_judges(folder: Path, reciters: set[str]) -> dict[str, Ensemble]:
    """For each reciter the one-fold bundle in `folder` whose card's training voices leave it out;
    a reciter without exactly one such bundle stops the run (its score would not be held out)."""
    bundles = [(p, set(load_bundle(p).card.training_data.get("voices", ()))) for p in sorted(folder.iterdir())
               if (p / "model.json").exists()]
    out = {}
    for r in sorted(reciters):
        never = [p for p, voices in bundles if voices and r not in voices]
        if len(never) != 1:
            raise SystemExit(f"{folder}: {len(never)} bundles never heard {r} (need exactly one; "
                             "bundles from `python -m trainer assemble RUN --fold K`)")
        out[r] = Ensemble.from_path(never[0], device="cpu")
        print(f"{r}: judged by {never[0]}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tajweed4")
    ap.add_argument("--heldout", type=Path, help="a folder of one-fold bundles: each reciter is judged by the one "
                                                 "that never heard that voice")
    ap.add_argument("--limit", type=int, default=0, help="only the first N files (0: all)")
    ap.add_argument("--out", default="reports/verses")
    args = ap.parse_args()
    root = DATA / "reciters5"
    timings: dict = {}
    for r in csv.DictReader(open(root / "word_timings.csv", encoding="utf-8")):
        timings.setdefault((r["reciter"], int(r["surah"]), int(r["ayah"])), {})[int(r["word"])] = int(r["start_ms"]) / 1000
    files = sorted(root.glob("verses/*/*.mp3"))
    if args.limit:
        files = files[:: max(1, len(files) // args.limit)][: args.limit]
    model = Path(args.model) if Path(args.model).exists() else bundled_models_dir() / args.model
    ens = Ensemble.from_path(model, device="cpu")
    tr = Transcriber(ens.encoder)
    judges = {"shipped": lambda reciter: ens}
    if args.heldout:
        held = heldout_judges(args.heldout, {f.parent.name for f in files})
        judges["heldout"] = held.__getitem__
    ident.verse_index()
    ident.skeleton_index()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    top1 = top5 = same_text = 0
    word_err, site_err, skipped, dropped = [], [], [], []
    t_ident, t_judge = [], []
    site_rows: dict[str, list[dict]] = {k: [] for k in judges}
    failed = []

    def one(f: Path) -> None:
        nonlocal top1, top5, same_text
        reciter, s, a = f.parent.name, int(f.stem[:3]), int(f.stem[3:])
        raw, rate, ch = decode_bounded(f)
        rec = recording_from_array(raw, SAMPLE_RATE, f, ch, original_rate=rate)
        t0 = time.perf_counter()
        try:
            found = ident.identify(tr, rec.samples)
            labels = [(c.surah, c.first_ayah, c.last_ayah) for c in found.candidates]
            transcript = found.transcript
        except ident.NotRecitationError as exc:  # counted as a miss, and the file still aligned and judged
            print(f"{reciter}/{f.name}: {exc}", flush=True)
            found, labels, transcript = None, [], None
        t_ident.append(time.perf_counter() - t0)
        top1 += labels[:1] == [(s, a, a)]
        top5 += (s, a, a) in labels
        # identical verses (109:3 and 109:5, 82:13 and 83:22) cannot be told apart by ear
        same_text += bool(labels) and verse_text(*labels[0]) == verse_text(s, a, a)
        t0 = time.perf_counter()
        al = align_verses(tr, rec.samples, s, a, transcript=transcript)
        judged_by = {}
        for k, judge in judges.items():
            judged_by[k] = judge_sites(judge(reciter), raw, rec, al)
            if k == "shipped":
                t_judge.append(time.perf_counter() - t0)
        sites = judged_by["shipped"]
        if len(sites) != len(text.sites(s, a)):
            dropped.append(f"{reciter}/{f.name}")
        q = timings.get((reciter, s, a), {})
        if len(q) != len(qwords.verse_words(s, a)):
            skipped.append(f"{reciter}/{f.name}")  # QUL numbers this verse's words otherwise
        else:
            site_words = {st.site for st in sites}
            for w in al.verse_words(a):
                e = abs(w.start - q[w.word])
                word_err.append(e)
                if w.word in site_words:
                    site_err.append(e)
        for k, judged in judged_by.items():
            for st in judged:
                p = st.prediction
                site_rows[k].append({"file": f"{reciter}/{f.name}", "reciter": reciter, "surah": s, "ayah": a,
                                     "site": st.site, "expected": st.expected, "heard": p.top_rule if p else "",
                                     "confidence": round(p.confidence, 4) if p else "",
                                     "uncertain": p.uncertain if p else "", "outcome": st.outcome})
        best = found.candidates[0] if found and found.candidates else None
        print(f"{reciter}/{f.name}: {best.label if best else '-'} {best.score if best else 0:.3f} "
              f"{'ok' if labels[:1] == [(s, a, a)] else 'MISS'}  "
              + "  ".join(f"{k} {[st.outcome for st in judged]}" for k, judged in judged_by.items()), flush=True)
    for f in files:
        try:
            one(f)
        except Exception as exc:  # noqa: BLE001 - a bug on one verse is listed, and the rest are still measured
            failed.append(f"{f.parent.name}/{f.name}: {type(exc).__name__}: {exc}")
            print(f"{f.parent.name}/{f.name}: FAILED {type(exc).__name__}: {exc}", flush=True)

    n = len(files)
    we, se = np.array(word_err), np.array(site_err)
    summary = {
        "files": n,
        "identification_top1": round(top1 / n, 3), "identification_top1_same_text": round(same_text / n, 3), "identification_top5": round(top5 / n, 3),
        "onset_words": len(we), "onset_median_s": round(float(np.median(we)), 3),
        "onset_p90_s": round(float(np.percentile(we, 90)), 3),
        "onset_within_0.2s": round(float(np.mean(we <= 0.2)), 3), "onset_within_0.4s": round(float(np.mean(we <= 0.4)), 3),
        "site_onset_median_s": round(float(np.median(se)), 3), "site_onset_p90_s": round(float(np.percentile(se, 90)), 3),
        "verses_left_out_of_onsets": skipped,
        "verses_with_sites_missing": dropped, "verses_failed": failed,
        "seconds_identify_median": round(float(np.median(t_ident)), 2),
        "seconds_align_and_judge_median": round(float(np.median(t_judge)), 2),
        "sites": {k: site_summary(rows) for k, rows in site_rows.items()},
        "models": {"shipped": args.model, **({"heldout": f"{args.heldout}: each voice judged by the fold model "
                                                         "that never heard it"} if args.heldout else {})},
    }
    for k, rows in site_rows.items():
        with open(out / f"sites-{k}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
