"""Verse identification from the audio alone, with and without the skeleton match, in one process.

    PYTHONPATH=. python tools/identify_eval.py [--limit N] [--json reports/verses/identify.json]

Each verse is transcribed once (the 30 s windows' encodings kept), then identified twice from the
same transcript: candidates by plain letters only (before), and by plain letters or skeleton,
whichever matches better (`identify.text_candidates`, now). On reciters5's 230 verse MP3s (the
issue's test set; five reciters) and, as a check on a voice the skeleton was not looked at on,
haneef's verses under 8 s (57). Top-1 counts the verse alone, not a run holding it; "same text"
also counts a verse whose text is identical (109:3 and 109:5 cannot be told apart by ear).
About 15 minutes on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tajweed_desktop.core.audio.decode import decode_bounded  # noqa: E402
from tajweed_desktop.core.audio.formats import SAMPLE_RATE  # noqa: E402
from tajweed_desktop.core.audio.recording import recording_from_array  # noqa: E402
from tajweed_desktop.core.model.transcriber import Transcriber  # noqa: E402
from tajweed_desktop.core.quran import identify as ident  # noqa: E402
from tajweed_desktop.core.quran import text  # noqa: E402

DATA = Path(os.environ.get("TAJWEED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
WAYS = {"plain letters (before)": False, "plain letters or skeleton (now)": True}
HANEEF_MAX_SECONDS = 8.0


def verse_files(limit: int = 0) -> list[tuple[str, Path]]:
    """(set name, file): reciters5's verses, then haneef's verses under HANEEF_MAX_SECONDS."""
    files = [("reciters5", f) for f in sorted((DATA / "reciters5").glob("verses/*/*.mp3"))]
    rows = csv.DictReader(open(DATA / "haneef" / "verses.csv", encoding="utf-8"))
    files += [("haneef", DATA / "haneef" / r["file"]) for r in rows if float(r["duration_s"]) < HANEEF_MAX_SECONDS]
    return files[:: max(1, len(files) // limit)][:limit] if limit else files


def summary(rows: list[dict]) -> dict:
    def same_text(a, b) -> bool:
        return a is not None and a[1] == a[2] and text.verse_text(a[0], a[1]) == text.verse_text(b[0], b[1])

    out = {"verses": len(rows)}
    for way in WAYS:
        top = [r[way] for r in rows]
        out[way] = {"top1": sum(t[:1] == [r["truth"]] for t, r in zip(top, rows)) / len(rows),
                    "top1_same_text": sum(same_text(t[0] if t else None, r["truth"]) for t, r in zip(top, rows)) / len(rows),
                    "top5": sum(r["truth"] in t for t, r in zip(top, rows)) / len(rows)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="only N files, spread over the list (0: all)")
    ap.add_argument("--json", type=Path, default=Path("reports/verses/identify.json"))
    args = ap.parse_args()
    tr = Transcriber()
    ident.verse_index()
    ident.skeleton_index()
    rows = []
    for group, f in verse_files(args.limit):
        truth = [int(f.stem[:3]), int(f.stem[3:]), int(f.stem[3:])]
        raw, rate, ch = decode_bounded(f)
        rec = recording_from_array(raw, SAMPLE_RATE, f, ch, original_rate=rate)
        cache: dict = {}
        transcribed = ident.transcribe(tr, rec.samples, cache)
        row = {"group": group, "voice": f.parent.name if group == "reciters5" else "haneef",
               "file": f"{f.parent.name}/{f.name}", "seconds": round(rec.duration, 2), "truth": truth,
               "transcript": transcribed[0]}
        for way, skeleton in WAYS.items():
            try:
                found = ident.identify_transcribed(tr, rec.samples, transcribed, cache, use_skeleton=skeleton)
                row[way] = [[c.surah, c.first_ayah, c.last_ayah] for c in found.candidates]
            except ident.NotRecitationError:
                row[way] = []
        rows.append(row)
        marks = " ".join("1" if row[w][:1] == [truth] else ("5" if truth in row[w] else "-") for w in WAYS)
        print(f"{row['file']} {row['seconds']:.1f} s  {marks}  {row['transcript']}", flush=True)
    result = {"sets": {}, "per_voice": {}, "files": rows}
    for group in ("reciters5", "haneef"):
        rs = [r for r in rows if r["group"] == group]
        if rs:
            result["sets"][group] = summary(rs)
    by_voice = defaultdict(list)
    for r in rows:
        by_voice[r["voice"]].append(r)
    result["per_voice"] = {v: summary(rs) for v, rs in sorted(by_voice.items())}
    print("| set | verses | way | top-1 | top-1, same text | top-5 |\n|---|---|---|---|---|---|")
    for name, s in list(result["sets"].items()) + [(f"  {v}", s) for v, s in result["per_voice"].items()]:
        for way in WAYS:
            print(f"| {name} | {s['verses']} | {way} | {s[way]['top1']:.3f} | {s[way]['top1_same_text']:.3f} | {s[way]['top5']:.3f} |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.json.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    tmp.replace(args.json)


if __name__ == "__main__":
    main()
