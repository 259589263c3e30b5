"""Verse mode in the app: which recordings get it, the worker jobs, and the marks each outcome is
shown with (a sign beside every colour, never colour alone).

The verse work itself is the core's (core/checking/verses.py: `verse_steps`, the same steps as
`tajweed-check --verses`); this module only decides when to run it and runs it off the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from tajweed_desktop.core.quran.identify import verse_from_filename

from . import native_import

# An unnamed recording shorter than this keeps the clip verdict. The data sets' clips are crops of
# verses of at most 6.5 s (tajweed4 and rules14 0.9-6.5 s, Kaggle's 4 s, reciters5's sites 1-4 s),
# and from the audio alone a crop gets named as some verse with all but one or two of its sites
# "not recited" (tajweed4's train/1.wav, 5.2 s, was named 4:29 at 0.03, above the no-verse score).
# Half of reciters5's 230 verses are shorter than 5 s, though, so a verse that is *named* is checked
# at any length: by its file name (EveryAyah's SSSAAA.mp3), by "Which verse?", or, from
# MIN_GIVEN_SECONDS (longer than one 4 s clip), by the verse chosen in the Practise box.
MIN_VERSE_SECONDS = 7.0
MIN_GIVEN_SECONDS = 5.0

AS_EXPECTED, NOT_YET, UNCERTAIN, STOPPED, NOT_RECITED = "as expected", "not yet", "uncertain", "stopped", "not recited"
MARKS = {AS_EXPECTED: "✓", NOT_YET: "✗", UNCERTAIN: "?", STOPPED: "‖", NOT_RECITED: "–"}
# colours beside the marks (RGB); "not recited" is not marked on the waveform at all
COLOURS = {AS_EXPECTED: (46, 160, 67), NOT_YET: (214, 69, 65), UNCERTAIN: (200, 150, 20), STOPPED: (110, 120, 140),
           NOT_RECITED: (150, 150, 150)}
OUTCOME_WORDS = {AS_EXPECTED: "as expected", NOT_YET: "not yet", UNCERTAIN: "uncertain",
                 STOPPED: "stopped (a pause at the junction: no rule applies)", NOT_RECITED: "not recited"}


def mark(outcome: str) -> str:
    return MARKS.get(outcome, "?")


def named_verse(path: str | Path) -> tuple[int, int, int] | None:
    return verse_from_filename(Path(path).name)


def wants_verse_mode(path: str | Path, duration: float, given: tuple[int, int, int] | None = None,
                     practice: tuple[int, int, int] | None = None) -> bool:
    """Whether opening this recording runs verse mode (see MIN_VERSE_SECONDS)."""
    if given is not None or named_verse(path) is not None:
        return True
    if practice is not None and duration >= MIN_GIVEN_SECONDS:
        return True
    return duration >= MIN_VERSE_SECONDS


_lock = threading.Lock()
_transcribers: dict[int, object] = {}


def shared_transcriber(ensemble):
    """Whisper's decoder over the ensemble's own encoder (or the shared CPU one for a raw-waveform
    bundle): built once, on a plain thread (native_import says why), from any worker."""
    from tajweed_desktop.core.model.transcriber import Transcriber

    encoder = getattr(ensemble, "encoder", None)
    key = id(encoder)
    with _lock:
        tr = _transcribers.get(key)
        if tr is None:
            native_import.wait()
            tr = native_import.on_plain_thread(Transcriber, encoder, name="build-transcriber")
            _transcribers[key] = tr
        return tr


def warm_up(ensemble) -> None:
    """Build, off the GUI thread, when the model is ready and before any verse or recording, what
    the first verse (or live identification) would otherwise build while the learner waits: the
    verse index (0.7-0.9 s of pure Python, which took the GIL from the GUI thread
    often enough to stall it 50-90 ms, measured with tools/live_bench.py), and the transcriber,
    whose tokenizer holds the GIL for about 0.1 s at a time (tiktoken's build, the JSON parse): the
    first verse opened stalled the window 110-160 ms, later ones 20-40 ms (bench/responsiveness.py).
    Built once per process."""
    from tajweed_desktop.core.quran import identify

    identify.verse_index()
    identify.skeleton_index()
    shared_transcriber(ensemble)


def verse_job(ensemble, path: str, given: tuple[int, int, int] | None, use_filename: bool = True):
    """A generator worker: yields what it is doing (a line for the panel), returns the VerseResult."""
    from tajweed_desktop.core.checking.verses import verse_steps

    yield "loading the speech model"
    tr = shared_transcriber(ensemble)
    return (yield from verse_steps(ensemble, tr, path, given=given, use_filename=use_filename))


def step_text(step: str) -> str:
    """ "finding the verse" -> "Finding the verse…" for the panel."""
    return step[:1].upper() + step[1:] + "…"
