"""A run folder remembers what its folds were trained with, and refuses to mix them with another.

`run.json` records the recipe (every setting, epochs included), the data's fingerprint, the split
and the code version of the preparation (the card's normalisation record, a digest of the
preparation's source and, for front-end recipes, the frame cache's key). A later command in the
same folder with any of them different is refused in one line, or, with `--fresh`, the folder's
earlier folds, split and report are removed and the run starts afresh.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
from pathlib import Path

from tajweed_desktop.core.audio import clips, decode, highpass, levels, recording, speech
from tajweed_desktop.core.common.atomic import atomic_write_text
from tajweed_desktop.core.common.errors import TajweedError
from tajweed_desktop.core.model.frontend import PAD_SECONDS

# the modules whose code prepares a clip (decode to trim and level)
PREPARATION_MODULES = (decode, levels, recording, clips, speech, highpass)

RECORD = "run.json"
FIELDS = ("recipe", "data_fingerprint", "split", "preparation")


class RunFolderError(TajweedError):
    """The run folder holds a run of another recipe, data, split or preparation."""


def preparation_version(front_end: str, pad_seconds: float = PAD_SECONDS) -> dict:
    """The code version of the preparation: what the card records about it, a digest of the source
    of the modules that do it, and the frame cache's key for front-end recipes."""
    source = "".join(inspect.getsource(m) for m in PREPARATION_MODULES)
    version = {"normalisation": levels.NORMALISATION,
               "source_sha256": hashlib.sha256(source.encode()).hexdigest()}
    if front_end != "none":
        from .features import frames_key  # torch and the front end only for front-end recipes

        version["frames"] = frames_key(pad_seconds=pad_seconds)
    return version


def run_record(recipe: dict, fingerprint: str, strategy: str, k: int, seed: int) -> dict:
    record = {"recipe": recipe, "data_fingerprint": fingerprint,
              "split": {"strategy": strategy, "k": k, "seed": seed},
              "preparation": preparation_version(recipe.get("front_end", "none"), recipe.get("pad_seconds", PAD_SECONDS))}
    return json.loads(json.dumps(record))  # as it reads back (tuples as lists)


def _differences(saved: dict, record: dict) -> list[str]:
    out = []
    for key in FIELDS:
        a, b = saved.get(key), record.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out += [f"{key}.{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        else:
            out.append(key)
    return out


def start(run_dir: Path, record: dict, fresh: bool = False) -> None:
    """Check `run_dir` against `record` (RunFolderError in one line when it differs), or with
    `fresh` clear what an earlier run left; then write the record."""
    path = run_dir / RECORD
    earlier = [p for p in dict.fromkeys((*run_dir.glob("fold*"), *run_dir.glob("voice-*"), run_dir / "folds.json",
                                         run_dir / "report")) if p.exists()] if run_dir.is_dir() else []  # "fold*" holds folds.json
    if fresh:
        for p in earlier:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        path.unlink(missing_ok=True)
    elif path.exists():
        try:
            saved = json.loads(path.read_text())
        except ValueError:
            saved = {}
        diff = _differences(saved, record)
        if diff:
            raise RunFolderError(f"{run_dir}: this run folder holds a run with another {', '.join(diff)}; "
                                 "use a new --run-dir, or --fresh to start it afresh")
        return
    elif earlier:
        raise RunFolderError(f"{run_dir}: this run folder holds a run that did not record its recipe, data and "
                             "preparation (an earlier version); use a new --run-dir, or --fresh to start it afresh")
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True))


def check(run_dir: Path, record: dict) -> None:
    """`start` without writing or clearing anything (for `assemble`)."""
    path = run_dir / RECORD
    if not path.exists():
        raise RunFolderError(f"{run_dir}: no {RECORD} (a run of an earlier version); train it again with --fresh")
    diff = _differences(json.loads(path.read_text()), record)
    if diff:
        raise RunFolderError(f"{run_dir}: its folds were trained with another {', '.join(diff)} than this data gives")
