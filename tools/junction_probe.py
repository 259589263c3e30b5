"""What a bundle listens to at a cross-word site: each site of a whole-verse source judged from only
the part before the word junction (the site word with its noon or tanween), only the part from the
junction on (the deciding word), and the full clip (the training / verse-mode cut).

    PYTHONPATH=. python tools/junction_probe.py --data ../shared/data/haneef [--model tajweed4] [--every 3]

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
from tajweed_desktop.core.model.ensemble import Ensemble  # noqa: E402
from tajweed_desktop.core.model.paths import bundled_models_dir  # noqa: E402
from trainer import verses as V  # noqa: E402
from trainer.verse_source import cut_source  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True, help="a whole-verse source (trainer/verses.py)")
    ap.add_argument("--model", default="tajweed4")
    ap.add_argument("--every", type=int, default=1, help="every k-th cross-word site (1: all)")
    ap.add_argument("--verse-cache", type=Path, default=V.DEFAULT_VERSE_CACHE)
    ap.add_argument("--out", type=Path, default=Path("reports") / "junction")
    args = ap.parse_args()
    model = Path(args.model) if Path(args.model).exists() else bundled_models_dir() / args.model
    ens = Ensemble.from_path(model, device="cpu")
    src = cut_source(args.data, args.verse_cache, progress=False)
    sites = [s for s in src.kept if s["junction"] is not None][:: args.every]
    by_verse: dict[Path, list[dict]] = {}
    root = Path(args.data)
    for s in sites:
        by_verse.setdefault(root / s["verse"], []).append(s)
    t0 = time.perf_counter()
    parts = ("before", "after", "full")
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
                recs = [recording_from_array(clips[p], SAMPLE_RATE, path) for p in parts]
            except TajweedError:
                continue  # a part too short to judge: the site is left out of all three
            heard = [a.clip.top_rule for a in ens.analyse_many(recs)]
            rows.append({"verse": s["verse"], "word": s["word"], "expected": s["label"], **dict(zip(parts, heard))})
    counts = Counter(r["expected"] for r in rows)
    summary = {
        "model": str(model), "data": str(args.data), "every": args.every, "sites": len(rows),
        "seconds": round(time.perf_counter() - t0, 1),
        "majority_share": round(counts.most_common(1)[0][1] / max(1, len(rows)), 3) if rows else None,
        "rules": dict(counts),
        **{f"{p}_is_text_rule": round(sum(r[p] == r["expected"] for r in rows) / max(1, len(rows)), 3) for p in parts},
        "recall_per_rule": {p: {e: round(sum(r[p] == e for r in rows if r["expected"] == e) / c, 3)
                                for e, c in sorted(counts.items())} for p in parts},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(json.dumps(summary, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
