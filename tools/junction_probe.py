"""What a bundle listens to at a cross-word site: each site of a whole-verse source judged from only
the part before the word junction (the site word with its noon or tanween), only the part from the
junction on (the deciding word), and the full clip (the training / verse-mode cut).

    PYTHONPATH=. python tools/junction_probe.py --data ../shared/data/haneef [--model tajweed4] [--every 3]
    V=../shared/data/reciters5/verses; PYTHONPATH=. python tools/junction_probe.py --data $V/abdul_basit \
        --data $V/husary --data $V/maher --data $V/minshawi --data $V/shuraim \
        --fold-models runs/t4r5h-voices-plain --out reports/junction-lovo/t4r5h-voices-plain

With --fold-models, the fold model of a leave-one-voice-out run that never heard the voice judges
it (the voice is the source folder's name, the trainer's group for it): the way to probe a model
trained on every voice at hand, one voice at a time, beside the same run without a source.

The sites are the trainer's (trainer/verses.py: aligned, cut and cached; the doubtful left out);
the junction is the aligner's onset of the deciding word. Before: from 0.12 s before the site
word's onset to the junction; after: from the junction to 0.12 s past the onset of the word after
the deciding word; full: both margins (clips.cut_span). Only sites across two words (a site inside
a word has no junction). Judge with a bundle that never heard the source's voice, or the numbers
say little (haneef is in no shipped bundle's training data). Prints the share of each part whose
heard rule is the text's, beside the majority rule's share.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tajweed_desktop.core.audio.clips import CUT_MARGIN_SECONDS  # noqa: E402
from tajweed_desktop.core.audio.decode import decode_bounded  # noqa: E402
from tajweed_desktop.core.audio.formats import SAMPLE_RATE  # noqa: E402
from tajweed_desktop.core.audio.recording import recording_from_array  # noqa: E402
from tajweed_desktop.core.common.errors import TajweedError  # noqa: E402
from tajweed_desktop.core.model.bundle import Bundle, load_bundle  # noqa: E402
from tajweed_desktop.core.model.ensemble import Ensemble  # noqa: E402
from tajweed_desktop.core.model.paths import bundled_models_dir  # noqa: E402
from trainer import verses as V  # noqa: E402
from trainer.verse_source import cut_source  # noqa: E402


PARTS = ("before", "after", "full")


def probe(ens: Ensemble, data: Path, verse_cache: Path, every: int) -> list[dict]:
    """Each cross-word site of a whole-verse source judged from the three parts: rows of the heard rules."""
    src = cut_source(data, verse_cache, progress=False)
    by_verse: dict[Path, list[dict]] = {}
    for s in [s for s in src.kept if s["junction"] is not None][::every]:
        by_verse.setdefault(data / s["verse"], []).append(s)
    rows = []
    for path, ss in by_verse.items():
        raw, _, _ = decode_bounded(path)
        n = raw.shape[0]

        def span(a: float, b: float | None) -> np.ndarray:
            return raw[max(0, int(round(a * SAMPLE_RATE))): n if b is None else min(n, int(round(b * SAMPLE_RATE)))]

        for s in ss:
            m = CUT_MARGIN_SECONDS
            clips = {"before": span(s["onset"] - m, s["junction"]),
                     "after": span(s["junction"], None if s["next_onset"] is None else s["next_onset"] + m),
                     "full": span(s["onset"] - m, None if s["next_onset"] is None else s["next_onset"] + m)}
            try:
                recs = [recording_from_array(clips[p], SAMPLE_RATE, path) for p in PARTS]
            except TajweedError:
                continue  # a part too short to judge: the site is left out of all three
            heard = [a.clip.top_rule for a in ens.analyse_many(recs)]
            rows.append({"verse": s["verse"], "word": s["word"], "expected": s["label"], **dict(zip(PARTS, heard))})
    return rows


def held_out_fold_model(run_dir: Path, voice: str, card_from: Path) -> Ensemble:
    """The fold model of a leave-one-voice-out run whose validation was `voice` alone, under the card
    (front end, architecture) of the bundle at `card_from`; a temperature does not change a top rule."""
    from safetensors.numpy import load_file

    rows = list(csv.DictReader(open(run_dir / "report" / "oof.csv", encoding="utf-8")))
    folds = {r["fold"] for r in rows if r["group"] == voice}
    if len(folds) != 1 or {r["group"] for r in rows if r["fold"] in folds} != {voice}:
        raise SystemExit(f"{run_dir}: no fold held out {voice!r} alone; pass a `--split voices` run")
    fold = folds.pop()
    state = load_file(str(run_dir / f"fold{fold}" / "kept.safetensors"))
    return Ensemble(Bundle(run_dir / f"fold{fold}", load_bundle(card_from).card, [state]), device="cpu", runtime="torch")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True, action="append",
                    help="a whole-verse source (trainer/verses.py); repeat for several voices, pooled")
    ap.add_argument("--model", default="tajweed4")
    ap.add_argument("--fold-models", type=Path, help="a leave-one-voice-out run: judge with its fold that never heard the voice")
    ap.add_argument("--every", type=int, default=1, help="every k-th cross-word site (1: all)")
    ap.add_argument("--verse-cache", type=Path, default=V.DEFAULT_VERSE_CACHE)
    ap.add_argument("--out", type=Path, default=Path("reports") / "junction")
    args = ap.parse_args()
    model = Path(args.model) if Path(args.model).exists() else bundled_models_dir() / args.model
    t0 = time.perf_counter()
    shipped = None if args.fold_models else Ensemble.from_path(model, device="cpu")
    rows = []
    for data in args.data:
        voice = data.name
        ens = held_out_fold_model(args.fold_models, voice, model) if args.fold_models else shipped
        rows += [{"voice": voice, **r} for r in probe(ens, data, args.verse_cache, args.every)]
    if args.fold_models:
        model = args.fold_models
    counts = Counter(r["expected"] for r in rows)
    summary = {
        "model": str(model), "data": [str(d) for d in args.data], "every": args.every, "sites": len(rows),
        "sites_per_voice": dict(Counter(r["voice"] for r in rows)),
        "seconds": round(time.perf_counter() - t0, 1),
        "majority_share": round(counts.most_common(1)[0][1] / max(1, len(rows)), 3) if rows else None,
        "rules": dict(counts),
        **{f"{p}_is_text_rule": round(sum(r[p] == r["expected"] for r in rows) / max(1, len(rows)), 3) for p in PARTS},
        "recall_per_rule": {p: {e: round(sum(r[p] == e for r in rows if r["expected"] == e) / c, 3)
                                for e, c in sorted(counts.items())} for p in PARTS},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "sites.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["voice", "verse", "word", "expected", *PARTS])
        w.writeheader()
        w.writerows(rows)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(json.dumps(summary, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
