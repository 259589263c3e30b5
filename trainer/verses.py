"""Whole-verse sources: a folder of verse recordings named `SSSAAA.*` (EveryAyah's names), turned
into one training clip per noon sakinah / tanween site.

Each verse is aligned with verse mode's aligner (core/quran/alignment.py; the verse is known from
the file name, so nothing is identified), every site is cut with verse mode's own cut
(`core.checking.verses.cut_sites`, i.e. `clips.cut_span`: 0.12 s outside the site word's onset
and the onset of the word after the deciding word) and labelled from the site table
(`rule4`). Doubtful sites are left out, counted by reason:

- `low alignment score`: the verse's alignment score (geometric mean token probability) is below
  MIN_VERSE_SCORE;
- `short word`: the site's word, or the deciding word after it, lasts less than MIN_WORD_SECONDS
  from its onset to the next onset (the aligner squeezed it: the cut is at the wrong place);
- `pause at the junction`: verse mode's `stopped` (>= STOP_SECONDS without sound between the
  site word and the deciding word): no rule was applied;
- `not recited`: the sound ends before the site (verse mode's `not recited`).

Layouts: `ROOT/verses.csv` (`file, surah, ayah`, optional `reciter`; files relative to ROOT),
or `ROOT/SSSAAA.*`, `ROOT/verses/SSSAAA.*` (one voice, named after ROOT), or
`ROOT/<reciter>/SSSAAA.*` (one voice per folder).

Cached by content: the alignment of each verse file under `<cache>/align-<digest>/` (the digest
names the aligner's code and weights), the cut clips (float WAV, so the samples are exactly the
cut's) and their site records under `<cache>/cuts-<digest>/` (the digest adds the cut's code,
the preparation, the thresholds and the site table), both by the file's sha256 and the verse it is
said to hold. The aligner runs once per verse; a change to the cut only cuts again.
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio.formats import AUDIO_EXTENSIONS, SAMPLE_RATE
from tajweed_desktop.core.common.atomic import atomic_path, atomic_write_text
from tajweed_desktop.core.common.hashing import sha256_of
from tajweed_desktop.core.quran import text
from tajweed_desktop.core.quran.alignment import Alignment, WordTiming

log = logging.getLogger(__name__)

DEFAULT_VERSE_CACHE = Path("runs") / "verse-cache"
LABELS4 = ("Idgham", "Ikhfa", "Iqlab", "Izhar")  # the four rules as the Kaggle-layout data name them
VERSE_NAME = re.compile(r"^(\d{3})(\d{3})$")

MIN_VERSE_SCORE = 0.02  # verse mode's "no verse found" level (identify.NO_VERSE_SCORE): below it the words are not placed
MIN_WORD_SECONDS = 0.12  # a word shorter than this (onset to next onset) was squeezed by the aligner
REASONS = ("low alignment score", "short word", "pause at the junction", "not recited")


class VerseSourceError(ValueError):
    """The folder is not a usable whole-verse source (the message says why)."""


@dataclass(frozen=True)
class VerseFile:
    path: Path
    surah: int
    ayah: int
    voice: str


def _audio(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)


def _named(paths: list[Path]) -> bool:
    return bool(paths) and all(VERSE_NAME.match(p.stem) for p in paths)


def _verse(path: Path, voice: str, surah: int | None = None, ayah: int | None = None) -> VerseFile:
    if surah is None:
        m = VERSE_NAME.match(path.stem)
        surah, ayah = int(m.group(1)), int(m.group(2))
    if not (1 <= surah <= 114 and 1 <= ayah <= text.verse_count(surah)):
        raise VerseSourceError(f"{path}: no verse {surah}:{ayah}")
    return VerseFile(path, surah, ayah, voice)


def list_verse_files(root: Path) -> list[VerseFile] | None:
    """The verse recordings of a whole-verse source, or None when `root` is not one."""
    root = Path(root)
    if (root / "verses.csv").is_file():
        out = []
        with open(root / "verses.csv", newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = {"file", "surah", "ayah"} - set(reader.fieldnames or [])
            if missing:
                raise VerseSourceError(f"{root / 'verses.csv'}: missing column(s) {', '.join(sorted(missing))}")
            for row in reader:
                voice = (row.get("reciter") or "").strip() or root.name
                out.append(_verse(root / row["file"].strip(), voice, int(row["surah"]), int(row["ayah"])))
        return out
    for folder in (root, root / "verses"):
        if folder.is_dir() and _named(_audio(folder)):
            return [_verse(p, root.name) for p in _audio(folder)]
    subs = [p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    if subs and all(_named(_audio(s)) for s in subs):
        return [_verse(p, s.name) for s in subs for p in _audio(s)]
    return None


def _digest(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


def _source(module) -> str:
    return hashlib.sha256(inspect.getsource(module).encode()).hexdigest()


def aligner_version() -> dict:
    """Everything besides a verse file's bytes that changes its alignment."""
    from tajweed_desktop.core.audio import decode
    from tajweed_desktop.core.audio.levels import NORMALISATION
    from tajweed_desktop.core.model import frontend, tokenizer, transcriber
    from tajweed_desktop.core.quran import alignment, words

    return {"front_end": frontend.spec(), "preparation": NORMALISATION,
            "sources": {m.__name__: _source(m) for m in (alignment, transcriber, tokenizer, words, decode)}}


def cut_version() -> dict:
    """The alignment's version and everything else that changes the cuts and their records."""
    from tajweed_desktop.core.audio import clips
    from tajweed_desktop.core.checking import verses as vm

    from . import verses as this

    table = text.DATA / "noon_tanween_sites.csv"
    return {"aligner": aligner_version(), "sources": {m.__name__: _source(m) for m in (clips, vm, text, this)},
            "site_table_sha256": sha256_of(table), "labels": LABELS4,
            "thresholds": {"min_verse_score": MIN_VERSE_SCORE, "min_word_seconds": MIN_WORD_SECONDS}}


def alignment_to_json(al: Alignment) -> dict:
    return {"surah": al.surah, "first_ayah": al.first_ayah, "last_ayah": al.last_ayah, "score": al.score,
            "basmala": al.basmala, "duration": al.duration,
            "words": [[w.ayah, w.word, w.text, w.start, w.end, w.prob] for w in al.words]}


def alignment_from_json(d: dict) -> Alignment:
    words = tuple(WordTiming(d["surah"], a, k, t, s, e, p) for a, k, t, s, e, p in d["words"])
    return Alignment(d["surah"], d["first_ayah"], d["last_ayah"], words, d["score"], d["basmala"], d["duration"])


def alignment_from_onsets(surah: int, ayah: int, onsets: dict[int, float], duration: float) -> Alignment:
    """An Alignment holding given word onsets (e.g. QUL's), so `site_spans`/`cut_sites` cut from them."""
    from tajweed_desktop.core.quran import words as qwords

    ws = qwords.verse_words(surah, ayah)
    times = [onsets[k] for k in range(1, len(ws) + 1)]
    ends = times[1:] + [duration]
    timings = tuple(WordTiming(surah, ayah, k, w, t, e, 1.0) for k, (w, t, e) in enumerate(zip(ws, times, ends), 1))
    return Alignment(surah, ayah, ayah, timings, 1.0, False, duration)


def site_id(site) -> str:
    """A site's name in its verse: the word, and `-in` for a noon inside the word (a word may hold
    two sites: أَندَادࣰا has a noon sakinah before its dal and its tanween)."""
    return f"w{site.word:03d}" + ("-in" if site.next_token == site.token else "")


def word_seconds(cut) -> tuple[float, float | None]:
    """How long the site's word and (across words) the deciding word last, onset to next onset."""
    end = cut.next_onset
    if cut.junction is None:
        return (end if end is not None else cut.end) - cut.onset, None
    after = (end if end is not None else cut.end) - cut.junction
    return cut.junction - cut.onset, after


def doubt(cut, score: float) -> str:
    """Why a cut site is left out of training ("" when it is kept)."""
    if cut.outcome == "not recited":
        return "not recited"
    if score < MIN_VERSE_SCORE:
        return "low alignment score"
    first, second = word_seconds(cut)
    if first < MIN_WORD_SECONDS or (second is not None and second < MIN_WORD_SECONDS):
        return "short word"
    if cut.outcome == "stopped":
        return "pause at the junction"
    return ""


class VerseCache:
    """Alignments and cuts of verse files by content (see the module's note)."""

    def __init__(self, folder: Path = DEFAULT_VERSE_CACHE):
        self.root = Path(folder)
        self.align_version, self.cuts_version = aligner_version(), cut_version()
        self.align_dir = self.root / f"align-{_digest(self.align_version)}"
        self.cuts_dir = self.root / f"cuts-{_digest(self.cuts_version)}"
        self._tr = None
        self.seconds = {"decode+prepare": 0.0, "align": 0.0, "cut": 0.0}
        self.cpu_seconds = {"align": 0.0}
        self.aligned = 0  # verses aligned in this process (the rest came from the cache)

    @property
    def transcriber(self):
        if self._tr is None:
            from tajweed_desktop.core.model.transcriber import Transcriber

            self._tr = Transcriber()
        return self._tr

    def _write_version(self, folder: Path, record: dict) -> None:
        if not (folder / "version.json").exists():
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(folder / "version.json", json.dumps(record, indent=1, sort_keys=True))

    def alignment(self, vf: VerseFile, key: str, samples: np.ndarray) -> Alignment:
        path = self.align_dir / key[:2] / key / f"{vf.surah:03d}{vf.ayah:03d}.json"  # by content and verse
        try:
            d = json.loads(path.read_text())
            if (d["surah"], d["first_ayah"]) == (vf.surah, vf.ayah):
                return alignment_from_json(d)
        except (OSError, ValueError, KeyError):
            pass
        from tajweed_desktop.core.quran.alignment import align_verses

        t0, c0 = time.perf_counter(), time.process_time()
        al = align_verses(self.transcriber, samples, vf.surah, vf.ayah)
        self.seconds["align"] += time.perf_counter() - t0
        self.cpu_seconds["align"] += time.process_time() - c0
        self.aligned += 1
        self._write_version(self.align_dir, self.align_version)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(alignment_to_json(al)))
        return al

    def sites(self, vf: VerseFile) -> tuple[str, Path, list[dict]]:
        """The verse file's sha256, the folder of its cut clips and its site records (cut now when
        not cached)."""
        key = sha256_of(vf.path)
        folder = self.cuts_dir / key[:2] / key / f"{vf.surah:03d}{vf.ayah:03d}"  # by content and verse
        try:
            d = json.loads((folder / "sites.json").read_text())
            if (d["surah"], d["ayah"]) == (vf.surah, vf.ayah):
                return key, folder, d["sites"]
        except (OSError, ValueError, KeyError):
            pass
        records = self._cut(vf, key, folder)
        self._write_version(self.cuts_dir, self.cuts_version)
        atomic_write_text(folder / "sites.json", json.dumps({"surah": vf.surah, "ayah": vf.ayah, "sites": records}))
        return key, folder, records

    def _cut(self, vf: VerseFile, key: str, folder: Path) -> list[dict]:
        import soundfile as sf

        from tajweed_desktop.core.audio.decode import decode_bounded
        from tajweed_desktop.core.audio.recording import recording_from_array
        from tajweed_desktop.core.checking.verses import cut_sites

        t0 = time.perf_counter()
        raw, rate, channels = decode_bounded(vf.path)
        rec = recording_from_array(raw, SAMPLE_RATE, vf.path, channels, original_rate=rate)
        self.seconds["decode+prepare"] += time.perf_counter() - t0
        al = self.alignment(vf, key, rec.samples)
        t0 = time.perf_counter()
        folder.mkdir(parents=True, exist_ok=True)
        records = []
        for cut in cut_sites(raw, rec, al):
            site = cut.site
            first, second = word_seconds(cut)
            reason = doubt(cut, al.score)
            label = text.expected_label(site, LABELS4)
            if label is None and not reason:
                reason = "no label"
            name = f"{site_id(site)}.wav"
            if not reason:
                with atomic_path(folder / name) as tmp:
                    sf.write(tmp, cut.clip.astype(np.float32), SAMPLE_RATE, subtype="FLOAT", format="WAV")
            records.append({"ayah": site.ayah, "word": site.word, "id": site_id(site), "rule": site.rule, "label": label,
                            "token": site.token, "next_token": site.next_token, "next_word": cut.next_word,
                            "start": round(cut.start, 4), "end": round(cut.end, 4), "onset": cut.onset,
                            "junction": cut.junction, "next_onset": cut.next_onset, "pause": round(cut.pause, 3),
                            "word_seconds": round(first, 3), "next_word_seconds": None if second is None else round(second, 3),
                            "score": round(al.score, 4), "file": name if not reason else None, "reason": reason})
        self.seconds["cut"] += time.perf_counter() - t0
        return records
