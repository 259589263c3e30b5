"""Verse mode on a real verse of about 10 s (reciters5): identify + align + judge every site,
the same with the verse named by the file name (no identification), and the encoder alone on the
same audio (one 30 s window, what every Whisper step starts from), interleaved in one process;
then, in a fresh process, resident memory with the decoder loaded after one verse (freed memory
handed back, as the app's workers do after each job)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import soundfile as sf

from tajweed_desktop.core.audio.decode import decode_bounded
from tajweed_desktop.core.audio.recording import recording_from_array
from tajweed_desktop.core.checking.verses import check_verse_file
from tajweed_desktop.core.model.bundle import Bundle
from tajweed_desktop.core.model.ensemble import Ensemble
from tajweed_desktop.core.model.transcriber import Transcriber

from .common import interleaved_medians

TARGET_SECONDS = 10.0

MEMORY_PROBE = """
import sys
from tajweed_desktop.core.checking.verses import check_verse_file
from tajweed_desktop.core.common.memory import release_free_memory, resident_mb
from tajweed_desktop.core.model.ensemble import Ensemble
from tajweed_desktop.core.model.transcriber import Transcriber
ens = Ensemble.from_path(sys.argv[1], device="cpu")
tr = Transcriber(ens.encoder)
r = check_verse_file(ens, tr, sys.argv[2], use_filename=False)
assert r.ok, r.error
release_free_memory()  # as the app's workers do after each job
print(resident_mb(), "torch" in sys.modules)
"""


def ten_second_verse(verses: Path) -> Path:
    """The verse recording whose length is nearest 10 s (by the file's header, which is close
    enough to choose by)."""
    files = sorted(verses.glob("*/*.mp3"))
    if not files:
        raise SystemExit(f"no verse recordings in {verses}")
    return min(files, key=lambda f: (abs(sf.info(str(f)).duration - TARGET_SECONDS), f.name))


def run(bundle: Bundle, bundle_path: Path, verses: Path, repeats: int) -> list[dict]:
    verse = ten_second_verse(verses)
    raw, rate, channels = decode_bounded(verse)
    seconds = recording_from_array(raw, 16000, verse, channels, original_rate=rate).samples.shape[0] / 16000
    ens = Ensemble(bundle, device="cpu")
    tr = Transcriber(ens.encoder)
    found = check_verse_file(ens, tr, verse, use_filename=False)
    if not found.ok:
        raise RuntimeError(f"{verse}: {found.error}")
    t = interleaved_medians({
        "encoder": lambda: tr.encode(raw),
        "identify": lambda: check_verse_file(ens, tr, verse, use_filename=False),
        "given": lambda: check_verse_file(ens, tr, verse),
    }, repeats)
    ens.close()
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(bundle_path), str(verse)], check=True,
                         capture_output=True, text=True).stdout.split()
    name = f"{verse.parent.name}/{verse.name} ({seconds:.1f} s, {found.alignment.label}, {len(found.sites)} sites)"
    return [
        {"what": f"verse mode: encoder alone on the same audio (one 30 s window), {name}",
         "value": f"{t['encoder']:.2f} s", "ratio": "1.00x", "target": ""},
        {"what": "verse mode: identify + align + judge every site (verse found from the audio)",
         "value": f"{t['identify']:.2f} s", "ratio": f"{t['identify'] / t['encoder']:.1f}x the encoder alone",
         "target": "<= 2.5 s"},
        {"what": "verse mode: align + judge every site (verse named by the file name)",
         "value": f"{t['given']:.2f} s", "ratio": f"{t['given'] / t['encoder']:.1f}x the encoder alone", "target": ""},
        {"what": "resident memory, checker process with the decoder loaded, after that verse",
         "value": f"{float(out[0]):.0f} MB", "ratio": f"torch imported: {out[1]}", "target": "< 480 MB"},
    ]
