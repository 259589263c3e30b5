"""A whole-verse folder as training data (trainer/verses.py aligns and cuts it): its sites listed
before alignment, its kept cuts loaded as a Dataset, and `python -m trainer cut`."""

from __future__ import annotations

import csv
import logging
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from tajweed_desktop.core.audio.recording import load_or_reason
from tajweed_desktop.core.quran import text

from .data import DataError, Dataset, Item
from .verses import DEFAULT_VERSE_CACHE, LABELS4, VerseCache, VerseFile, VerseSourceError, list_verse_files, site_id
from .words import spoken_context

log = logging.getLogger(__name__)

CSV_FIELDS = ["voice", "verse", "surah", "ayah", "word", "id", "label", "rule", "token", "next_word", "start", "end",
              "word_seconds", "next_word_seconds", "pause", "score", "reason"]


@dataclass
class VerseSource:
    """What a whole-verse folder gave: the kept sites (cut clip, label, voice, words) and the count
    of every site left out, by reason."""

    root: Path
    verses: int
    sites: list[dict]  # every site record, each with `path` (the cut clip; None when left out), `voice`, `verse`
    seconds: float  # wall time of the listing, alignment and cutting
    aligned: int  # verses aligned now (the rest from the cache)

    @property
    def kept(self) -> list[dict]:
        return [s for s in self.sites if not s["reason"]]

    def left_out(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.sites:
            if s["reason"]:
                out[s["reason"]] = out.get(s["reason"], 0) + 1
        return out

    def summary(self) -> str:
        left = self.left_out()
        why = ", ".join(f"{n} {r}" for r, n in sorted(left.items(), key=lambda kv: -kv[1])) or "none"
        return (f"{self.root.name}: {self.verses} verses ({self.aligned} aligned now, the rest cached), "
                f"{len(self.sites)} sites: {len(self.kept)} kept, {sum(left.values())} left out ({why}); "
                f"{self.seconds:.0f} s")


def cut_source(root: Path, cache_dir: Path = DEFAULT_VERSE_CACHE, progress: bool = True,
               files: list[VerseFile] | None = None) -> VerseSource:
    """Align (once, cached) and cut every verse of a whole-verse folder."""
    from tqdm import tqdm

    root = Path(root)
    files = list_verse_files(root) if files is None else files
    if not files:
        raise VerseSourceError(f"{root}: no verse files named SSSAAA.* (nor a verses.csv)")
    cache = VerseCache(cache_dir)
    t0 = time.perf_counter()
    sites = []
    for vf in tqdm(files, desc=f"aligning and cutting {root.name}", unit="verse", disable=not progress, leave=False):
        key, folder, records = cache.sites(vf)
        rel = vf.path.relative_to(root).as_posix() if vf.path.is_relative_to(root) else vf.path.name
        for r in records:
            sites.append({**r, "surah": vf.surah, "voice": vf.voice, "verse": rel, "verse_sha256": key,
                          "path": folder / r["file"] if r["file"] else None})
    return VerseSource(root, len(files), sites, time.perf_counter() - t0, cache.aligned)


def list_verse_sites(root: Path) -> list[Item]:
    """A whole-verse source's sites from the site table, before any alignment (for checking
    arguments: the voices and word contexts; the doubtful sites are only known after cutting)."""
    items = []
    for vf in list_verse_files(root):
        for site in text.sites(vf.surah, vf.ayah):
            label = text.expected_label(site, LABELS4)
            if label is not None:
                ctx = spoken_context(vf.surah, vf.ayah, site.word, site.token, site.next_token)
                items.append(Item(vf.path, label, vf.voice, root, ctx, name=f"{vf.path.name}#{site_id(site)}"))
    return items


def load_verse_source(root: Path, show_progress: bool = True, verse_cache: Path = DEFAULT_VERSE_CACHE) -> Dataset:
    """Every site of a whole-verse source aligned, cut and labelled; the doubtful left out and counted."""
    try:
        src = cut_source(root, verse_cache, show_progress)
    except VerseSourceError as exc:
        raise DataError(str(exc)) from None
    items, recordings, skipped = [], [], []
    for s in tqdm(src.kept, desc=f"preparing {root.name}'s cuts", unit="clip", disable=not show_progress, leave=False):
        rec = load_or_reason(s["path"])
        if isinstance(rec, str):
            log.warning("left out %s", rec)
            skipped.append((s["path"], rec))
            continue
        ctx = spoken_context(s["surah"], s["ayah"], s["word"], s["token"], s["next_token"])
        items.append(Item(s["path"], s["label"], s["voice"], root, ctx, name=f"{s['verse']}#{s['id']}",
                          span=(s["verse_sha256"], s["start"], s["end"])))
        recordings.append(rec)
    if not items:
        raise DataError(f"{root}: no usable sites ({src.summary()})")
    return Dataset(root, "verses", sorted({it.label for it in items}), items, recordings, skipped, notes=[src.summary()])


def add_cut_parser(sub) -> None:
    c = sub.add_parser("cut", help="align and cut the sites of whole-verse sources into the verse cache, and say "
                                   "how many were kept and left out (what --data on them does first)")
    c.add_argument("--data", type=Path, action="append", required=True, help="a folder of whole verses (SSSAAA.*)")
    c.add_argument("--verse-cache", type=Path, default=DEFAULT_VERSE_CACHE, metavar="DIR")
    c.add_argument("--csv", type=Path, help="write every site (kept or left out, with its reason) here")
    c.add_argument("--no-progress", action="store_true")


def run_cut(roots: list[Path], cache_dir: Path, csv_path: Path | None, progress: bool) -> int:
    """`python -m trainer cut`: align and cut each source, print what was kept and left out and
    the wall and CPU time it took; `csv_path`: every site with its cut and reason. A folder that
    is not whole verses: one line, exit 2, before anything is aligned."""
    for root in roots:
        try:
            ok = root.is_dir() and list_verse_files(root)
        except VerseSourceError as exc:
            ok, why = False, str(exc)
        else:
            why = (f"--data {root}: not a folder of whole verses (SSSAAA.* files, a verses.csv, or a folder of them "
                   "per reciter)")
        if not ok:
            print(f"python -m trainer cut: error: {why}", file=sys.stderr)
            return 2
    rows = []
    for root in roots:
        t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        src = cut_source(root, cache_dir, progress)
        c1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        print(f"{src.summary()}; wall {time.perf_counter() - t0:.0f} s, CPU {cpu:.0f} s", flush=True)
        rows += src.sites
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        print(f"{len(rows)} sites written to {csv_path}")
    return 0
