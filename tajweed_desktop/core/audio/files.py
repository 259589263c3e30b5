"""Find the audio files under the paths a user gives: files as given, folders recursively."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from tajweed_desktop.core.audio.formats import AUDIO_EXTENSIONS


def natural_key(text: str) -> str:
    """A sort key that puts "2.wav" before "10.wav": every run of digits padded to 12 places."""
    return re.sub(r"\d+", lambda m: m.group().zfill(12), text.casefold())


def is_audio_name(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS


def find_audio_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly are kept whatever their extension (the user asked for them); folders
    are searched recursively for audio extensions, in natural order (2.wav before 10.wav, as the app's
table shows them), following symlinks but never a loop.

    Nothing here opens a file. Named pipes, sockets and devices with audio names are listed so
    that the user sees them skipped: `audio.decode` refuses them by their stat() before opening
    ("skipped: not a regular file (a named pipe (FIFO))"), as opening a pipe waits for a writer."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(_walk(p))
        else:
            found.append(p)
    return found


def _walk(root: Path) -> list[Path]:
    out = []
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:  # a symlink back up the tree
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames.sort()
        out.extend(Path(dirpath) / f for f in filenames if is_audio_name(Path(f)))
    return sorted(out, key=lambda p: natural_key(str(p)))
