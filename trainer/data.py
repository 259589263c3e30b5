"""Labelled recitation audio: the Kaggle layout, one folder per rule, or the Kaggle dataset itself.

Every clip goes through the core's `load_recording`, exactly as in the app. A file that cannot
be read or holds no sound is reported by name and left out: never zero-filled, never relabelled.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from tajweed_desktop.core.audio.formats import AUDIO_EXTENSIONS
from tajweed_desktop.core.audio.recording import Recording, load_or_reason
from tajweed_desktop.core.common.errors import TajweedError
from tajweed_desktop.core.common.hashing import sha256_of

from . import duplicates
from .verses import DEFAULT_VERSE_CACHE, list_verse_files
from .words import spoken_context

log = logging.getLogger(__name__)

DEFAULT_KAGGLE_HANDLE = "mohammad2012191/tajweed-dataset"
UNKNOWN_GROUP = "unknown"


class DataError(TajweedError):
    """The data folder as a whole cannot be used (the message says why)."""


@dataclass(frozen=True)
class Item:
    path: Path
    label: str
    group: str  # the reciter, or UNKNOWN_GROUP
    root: Path | None = None  # the data folder it was listed from
    context: str | None = None  # the words recited (`words.spoken_context`) where the data names them
    name: str | None = None  # its name inside the data folder when `path` lies elsewhere (a cut site: verse#wNNN)
    span: tuple[str, float, float] | None = None  # a cut site: its verse file's sha256 and the span (s) cut from it

    @property
    def rel(self) -> str:
        """Its name inside its data folder."""
        return self.name or (self.path if self.root is None else self.path.relative_to(self.root)).as_posix()

    @property
    def key(self) -> str:
        """`<data folder name>/<path inside it>`: names a clip across several data folders."""
        if self.root is None:
            return self.rel
        return f"{self.root.name}/{self.rel}"


@dataclass
class Dataset:
    root: Path  # the first data folder; `roots` lists all of them
    layout: str  # "kaggle" or "folders" ("kaggle+folders" when several are joined)
    labels: list[str]  # sorted, as the notebook's LabelEncoder
    items: list[Item]
    recordings: list[Recording]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a source says of itself (a whole-verse source's sites left out)
    _hashes: list[str] | None = field(default=None, init=False, repr=False)
    _fingerprints: list | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.roots:
            self.roots = [self.root]

    @property
    def contexts(self) -> list[str | None]:
        return [it.context for it in self.items]

    def name(self, it: Item) -> str:
        """A clip's name in reports and split files: its path inside the data folder, prefixed
        with the folder's name when several folders are joined."""
        return it.key if len(self.roots) > 1 else it.rel

    @property
    def targets(self) -> list[int]:
        index = {label: i for i, label in enumerate(self.labels)}
        return [index[it.label] for it in self.items]

    @property
    def groups(self) -> list[str]:
        return [it.group for it in self.items]

    def content_hashes(self) -> list[str]:
        """sha256 of each kept file's bytes: equal for byte-identical clips."""
        if self._hashes is None:  # read once: the split, the fingerprint and the card all need them
            self._hashes = [sha256_of(it.path) for it in self.items]
        return self._hashes

    def audio_fingerprints(self) -> list:
        """Each clip's short fingerprint of its prepared samples (`duplicates.fingerprint`)."""
        if self._fingerprints is None:
            self._fingerprints = [duplicates.fingerprint(r) for r in self.recordings]
        return self._fingerprints

    def same_audio(self) -> list[int]:
        """A group id per clip, shared by clips that are the same audio: byte-identical, or
        another encoding of it (found by fingerprint). The split keeps each group in one fold."""
        sources = [str(it.root) if it.span is not None else None for it in self.items]
        return duplicates.same_audio_groups(self.audio_fingerprints(), self.content_hashes(), sources)

    def shared_audio(self) -> list[int]:
        """`same_audio`, with cuts of overlapping spans of one verse joined (for the split, so no held-out
        clip's sound was heard in training; not for `drop_contradictions`: they are different clips)."""
        return duplicates.overlap_groups(self.same_audio(), [it.span for it in self.items])

    def fingerprint(self) -> str:
        """sha256 over every kept file's relative path, label and content."""
        h = hashlib.sha256()
        hashes = dict(zip(map(id, self.items), self.content_hashes()))
        for it in sorted(self.items, key=lambda i: i.key if len(self.roots) > 1 else str(i.path)):
            h.update(f"{self.name(it)}\t{it.label}\t".encode())
            h.update(bytes.fromhex(hashes[id(it)]))
        return h.hexdigest()


def detect_layout(root: Path) -> str:
    if (root / "train.csv").is_file():
        return "kaggle"
    if list_verse_files(root):
        return "verses"
    if any(p.is_dir() and _audio_files(p) for p in root.iterdir()):
        return "folders"
    raise DataError(
        f"{root}: neither the Kaggle layout (train.csv + train/<id>.wav) "
        "nor one folder of audio files per rule"
    )


def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and not p.is_dir())


def list_kaggle(root: Path) -> list[Item]:
    items = []
    with open(root / "train.csv", newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {"id", "label_name"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"{root / 'train.csv'}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:  # unknown extra columns (such as `source`) are ignored
            group = (row.get("sheikh_name") or "").strip() or UNKNOWN_GROUP
            where = [(row.get(k) or "").strip() for k in ("surah", "ayah", "word")]
            context = None
            if all(where) and all(w.isdigit() for w in where):  # the words recited, not their place
                context = spoken_context(*map(int, where), (row.get("token") or "").strip(),
                                         (row.get("next_token") or "").strip())
            items.append(Item(root / "train" / f"{row['id'].strip()}.wav", row["label_name"].strip(), group, root, context))
    return items


def list_folders(root: Path) -> list[Item]:
    """`root/<rule>/*.wav`, or `root/<rule>/<reciter>/*.wav` where reciters are known."""
    items = []
    for rule_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in _audio_files(rule_dir):
            rel = path.relative_to(rule_dir).parts
            group = rel[0] if len(rel) > 1 else UNKNOWN_GROUP
            items.append(Item(path, rule_dir.name, group, root))
    return items


def list_items(roots: list[str | Path]) -> list[Item]:
    """The clips the data folders list, without decoding any (for checking arguments first)."""
    items = []
    for root in map(Path, roots):
        if not root.is_dir():
            raise DataError(f"{root}: data folder not found")
        layout = detect_layout(root)
        from .verse_source import list_verse_sites  # it builds on this module's Item

        items += list_kaggle(root) if layout == "kaggle" else list_verse_sites(root) if layout == "verses" else list_folders(root)
    return items


def load_dataset(root: str | Path, show_progress: bool = True, verse_cache: Path = DEFAULT_VERSE_CACHE) -> Dataset:
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: data folder not found")
    layout = detect_layout(root)
    if layout == "verses":
        from .verse_source import load_verse_source  # it builds on this module's Item and Dataset
        return drop_contradictions(load_verse_source(root, show_progress, verse_cache))
    listed = list_kaggle(root) if layout == "kaggle" else list_folders(root)
    items, recordings, skipped = [], [], []
    for it in tqdm(listed, desc=f"decoding {root.name}", unit="clip", disable=not show_progress, leave=False):
        rec = load_or_reason(it.path)
        if isinstance(rec, str):
            log.warning("left out %s", rec)
            skipped.append((it.path, rec))
        else:
            recordings.append(rec)
            items.append(it)
    if not items:
        raise DataError(f"{root}: no usable clips ({len(skipped)} left out)")
    labels = sorted({it.label for it in items})
    if len(labels) < 2:
        raise DataError(f"{root}: only one rule ({labels[0]}); at least two are needed")
    return drop_contradictions(Dataset(root, layout, labels, items, recordings, skipped))


def drop_contradictions(ds: Dataset) -> Dataset:
    """Leave out every copy of audio that the data labels with two different rules (rules14 holds
    three byte-identical clips labelled both izhar and mad_asli): which label is right cannot be
    told from the data, and a model scored on one copy after training on the other would be
    marked wrong for having learnt the data. Reported like any clip left out."""
    groups = ds.same_audio()
    labels_of: dict[int, set[str]] = {}
    for g, it in zip(groups, ds.items):
        labels_of.setdefault(g, set()).add(it.label)
    bad = {g for g, labs in labels_of.items() if len(labs) > 1}
    if not bad:
        return ds
    keep = [i for i, g in enumerate(groups) if g not in bad]
    names = {g: [ds.items[i] for i, h in enumerate(groups) if h == g] for g in bad}
    skipped = list(ds.skipped)
    for i, g in enumerate(groups):
        if g in bad:
            others = ", ".join(f"{o.path.name} ({o.label})" for o in names[g] if o is not ds.items[i])
            skipped.append((ds.items[i].path, f"{ds.items[i].path}: the same audio as {others} but labelled "
                                              f"{ds.items[i].label}: every copy left out"))
            log.warning("left out %s", skipped[-1][1])
    out = Dataset(ds.root, ds.layout, sorted({ds.items[i].label for i in keep}), [ds.items[i] for i in keep],
                  [ds.recordings[i] for i in keep], skipped, ds.roots, ds.notes)
    if ds._hashes is not None:
        out._hashes = [ds._hashes[i] for i in keep]
    if ds._fingerprints is not None:
        out._fingerprints = [ds._fingerprints[i] for i in keep]
    return out


def load_datasets(roots: list[str | Path], show_progress: bool = True, verse_cache: Path = DEFAULT_VERSE_CACHE) -> Dataset:
    """Several data folders as one data set; reciter groups and word contexts keep their names."""
    parts = [load_dataset(r, show_progress, verse_cache) for r in roots]
    if len(parts) == 1:
        return parts[0]
    names = [p.root.name for p in parts]
    if len(set(names)) != len(names):
        raise DataError(f"data folders must have distinct names to tell their clips apart: {', '.join(names)}")
    items = [it for p in parts for it in p.items]
    joined = Dataset(
        parts[0].root,
        "+".join(sorted({p.layout for p in parts})),
        sorted({it.label for it in items}),
        items,
        [r for p in parts for r in p.recordings],
        [s for p in parts for s in p.skipped],
        [p.root for p in parts],
        [n for p in parts for n in p.notes],
    )
    joined._hashes = [h for p in parts for h in p.content_hashes()]
    joined._fingerprints = [f for p in parts for f in p.audio_fingerprints()]
    return drop_contradictions(joined)


def kaggle_dataset_path(handle: str = DEFAULT_KAGGLE_HANDLE) -> Path:
    """Download with kagglehub, or use its cached copy when offline."""
    import kagglehub  # imported here: it reads its config and logs at import

    try:
        return Path(kagglehub.dataset_download(handle))
    except Exception as exc:  # kagglehub raises network, HTTP and auth errors of many types
        cached = cached_kaggle_path(handle)
        if cached is not None:
            log.warning("kagglehub could not reach Kaggle (%s); using the cached copy %s", type(exc).__name__, cached)
            return cached
        raise DataError(
            f"cannot download {handle} ({type(exc).__name__}) and there is no cached copy under {kaggle_cache_root()}"
        ) from None


def kaggle_cache_root() -> Path:
    return Path(os.environ.get("KAGGLEHUB_CACHE") or Path.home() / ".cache" / "kagglehub")


def cached_kaggle_path(handle: str) -> Path | None:
    """The newest completely downloaded version of `owner/dataset` in kagglehub's cache."""
    parts = handle.split("/")
    if len(parts) < 2:
        return None
    base = kaggle_cache_root() / "datasets" / parts[0] / parts[1]
    versions = sorted(
        (int(v.name) for v in (base / "versions").glob("*") if v.name.isdigit() and (base / f"{v.name}.complete").exists()),
        reverse=True,
    )
    if len(parts) >= 4 and parts[2] == "versions" and parts[3].isdigit():
        versions = [v for v in versions if v == int(parts[3])]
    return base / "versions" / str(versions[0]) if versions else None
