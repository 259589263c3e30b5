"""Live mode in the app: the sites of the verse marked while the learner recites it (issue 19).

The recorder (audio_io.Recorder) writes each drained block to its file, then hands it to `feed`
(its `audio` signal): the block is copied into a growing 16 kHz buffer (resampled on the way with
the core's libsoxr stream when the device's rate is another) and a read-only view of the whole
buffer is put in the core's single-slot mailbox (`LatestAudio`: the audio not yet taken is
replaced, never queued). `feed` never waits on the analysis: a copy and a put. The file stays the
truth; live mode only reads.

One worker (workers.py) runs the core's `LiveChecker.serve` loop over the mailbox: it takes the
newest audio, runs `LiveChecker.update`, and emits the state, which reaches the GUI thread as a
queued signal. The GUI marks each site judged on the waveform (which scrolls with the recording)
and in the verse text (the word being recited highlighted), and shows the state's status.

On Stop the recorder finishes the file as before and the window opens it; `end` hands the last
live state to the analysis controller, which runs verse mode's own pass on the saved file (the
one implementation of the final check) and shows each site's final verdict, with the live one
beside it where they differ (the final one stands). A live error, or a microphone that goes away,
stops live checking with a message; the recording goes on (or is kept) as without live mode.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from tajweed_desktop.core.audio.decode import resample_stream
from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.common.memory import release_free_memory

from . import verse_mode
from .workers import WorkerSet

log = logging.getLogger("tajweed_desktop.live")

DRAW_SECONDS = 0.1  # the live waveform is redrawn after this much new audio
INITIAL_SECONDS = 60.0  # the buffer's first size; it doubles when full
TRIM_SECONDS = 0.0  # the live worker returns freed memory to the system this often (core/common/memory.py): after
# every update, a few ms against 0.3-1 s; every 5 s, what one update freed stayed resident under the next one's
# encoder buffers (+110-130 MB for a 20-30 s window) and a 5-minute replay peaked at 535 MB (tools/live_long.py)


class LiveBuffer:
    """The recording so far at 16 kHz mono, in one growing array: `append` copies a block in
    (mixed to mono, resampled as it arrives when its rate is not 16 kHz), `view` is a read-only
    view of what has been appended. A view handed out stays valid and unchanged: appending writes
    past its end only, and growing copies into a new array."""

    def __init__(self, seconds: float = INITIAL_SECONDS):
        self._data = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
        self.n = 0
        self._stream = None
        self._rate = SAMPLE_RATE

    def append(self, block: np.ndarray, rate: int = SAMPLE_RATE) -> None:
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 2:
            x = x.mean(axis=1, dtype=np.float32)
        if rate != SAMPLE_RATE:
            if self._stream is None or rate != self._rate:
                self._stream, self._rate = resample_stream(rate), rate
            x = self._stream.resample_chunk(x)
        end = self.n + len(x)
        if end > len(self._data):
            grown = np.zeros(max(2 * len(self._data), end), np.float32)
            grown[: self.n] = self._data[: self.n]
            self._data = grown
        self._data[self.n : end] = x
        self.n = end

    def view(self) -> np.ndarray:
        v = self._data[: self.n]
        v.flags.writeable = False
        return v

    @property
    def seconds(self) -> float:
        return self.n / SAMPLE_RATE


def live_work(ensemble, mailbox, given, emit: Callable, stop: threading.Event) -> None:
    """The worker: the core's loop (`LiveChecker.serve`) until the mailbox is closed or `stop` set.
    What the updates freed goes back to the system every TRIM_SECONDS (the other workers give it
    back when they finish; this one runs as long as the recording)."""
    from tajweed_desktop.core.checking.live import LiveChecker

    tr = verse_mode.shared_transcriber(ensemble)
    if stop.is_set():
        return
    trimmed = [time.monotonic()]

    def emit_and_trim(state) -> None:
        emit(state)
        if time.monotonic() - trimmed[0] >= TRIM_SECONDS:
            release_free_memory()
            trimmed[0] = time.monotonic()

    LiveChecker(ensemble, tr, given).serve(mailbox, emit_and_trim, stop.is_set)


def site_mark(result) -> tuple[float, float, str, str]:
    """A site's marker on the waveform, as verse mode marks it: its span, word and sign, outcome."""
    return (result.start, result.end, f"{result.word} {verse_mode.mark(result.outcome)}", result.outcome)


def status_words(state) -> str:
    """The panel's headline for a live state."""
    if state.surah is None:
        return f"Listening: {state.status}"
    n = len(state.sites)
    return f"Listening: {state.status}, {n} site{'' if n == 1 else 's'} judged so far"


class LiveController(QObject):
    """One recording's live checking at a time: `feed` per block (the recorder's `audio` signal),
    `end` when the recorder stops or fails."""

    status = Signal(str)  # the live status for the status line ("" when live mode is off)
    state_shown = Signal(object)  # each LiveState shown (tests, tools)
    _delivered = Signal(int, object)  # from the worker thread: (session, LiveState)

    def __init__(self, workers: WorkerSet, waveform, panel, analysis, ensemble: Callable[[], object],
                 given: Callable[[], tuple[int, int, int] | None], parent=None):
        super().__init__(parent)
        self.workers = workers
        self.waveform = waveform
        self.panel = panel
        self.analysis = analysis
        self._ensemble = ensemble
        self._given = given
        self.enabled = True
        self.buffer: LiveBuffer | None = None
        self.mailbox = None
        self.state = None  # the last LiveState shown
        self.error = ""  # why live checking stopped early ("" while it runs, or when it ended with the recording)
        self.given = None
        self._stop: threading.Event | None = None
        self._session = 0
        self._drawn = 0
        self._marked: dict = {}
        self._delivered.connect(self._show_state)

    @property
    def active(self) -> bool:
        return self.buffer is not None

    @property
    def checking(self) -> bool:
        """Live analysis is running (not only the live waveform)."""
        return self.mailbox is not None

    # ---- the recorder's side -------------------------------------------------------------
    def begin(self) -> None:
        from tajweed_desktop.core.checking.live import NO_RECITATION, LatestAudio

        self.end("")
        self._session += 1
        self.buffer = LiveBuffer()
        self.state, self.error, self._drawn, self._marked = None, "", 0, {}
        self.given = self._given()
        self.analysis.begin_live()
        self.waveform.start_live(SAMPLE_RATE)
        self.panel.verse._live_rows = ()
        ensemble = self._ensemble()
        if not self.enabled or ensemble is None:
            why = "live checking is off" if not self.enabled else "no model loaded: the recording is checked when it stops"
            self.panel.show_message(f"Recording ({why}).")
            self.status.emit("")
            return
        self.mailbox = LatestAudio()
        self._stop = threading.Event()
        session = self._session
        self.workers.start(live_work, ensemble, self.mailbox, self.given,
                           lambda state: self._delivered.emit(session, state), self._stop,
                           on_error=lambda exc: session == self._session and self._failed(exc))
        from tajweed_desktop.core.quran.alignment import verse_label

        first = f"checking against {verse_label(*self.given)}, the Practise box's verse" if self.given else NO_RECITATION
        self.panel.show_live(f"Listening: {first}", "Each site is marked as soon as the word after it is heard.")
        self.panel.verse.text.hide()
        self.panel.verse.table.hide()
        self.status.emit(f"live: {first}")

    def feed(self, block: np.ndarray, rate: int = SAMPLE_RATE) -> None:
        """A block just recorded (the recorder has written it to its file): into the buffer, the
        newest audio into the mailbox, the waveform redrawn now and then. Never waits on the
        analysis; a failure here stops live mode, never the recording."""
        try:
            if self.buffer is None:
                self.begin()
            self.buffer.append(block, rate)
            if self.mailbox is not None:
                self.mailbox.put(self.buffer.view(), self.buffer.seconds)
            if self.buffer.n - self._drawn >= DRAW_SECONDS * SAMPLE_RATE:
                self._drawn = self.buffer.n
                self.waveform.show_live(self.buffer.view(), SAMPLE_RATE)
        except Exception as exc:  # live mode must never end the recording
            log.exception("live mode failed while feeding")
            self._failed(exc)

    def end(self, path: str = "", reason: str = "") -> None:
        """The recording stopped (`reason` "" when the learner stopped it, else why it stopped):
        live checking stops, and the last live state goes to the analysis controller, which checks
        the saved file `path` once more and shows where the final verdicts differ."""
        if self.buffer is None:
            return
        self._stop_worker()
        self._session += 1  # a state still on its way is not shown
        if path:
            self.analysis.expect_live(path, self.state, self.given)
        self.buffer = None
        if reason:
            self.error = reason
            self.status.emit(f"live checking stopped: {reason}")
        else:
            self.status.emit("")

    def _stop_worker(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self.mailbox is not None:
            self.mailbox.close()
        self.mailbox = self._stop = None

    def _failed(self, exc: Exception) -> None:
        """Live checking stops with a message; the recording and its waveform go on."""
        self._stop_worker()
        self._session += 1
        self.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        log.warning("live checking stopped: %s", self.error)
        self.panel.show_live("Live checking stopped; the recording goes on",
                             f"{self.error}. The recording is checked when it stops.")
        self.status.emit("live checking stopped (the recording goes on)")

    # ---- the worker's side ---------------------------------------------------------------
    def _show_state(self, session: int, state) -> None:
        if session != self._session or state is self.state:
            return
        self.state = state
        if any(key not in {s.key for s in state.sites} for key in self._marked):
            # verdicts withdrawn (the audio was another verse's: core live.LiveChecker._switch): marked afresh
            self.waveform.clear_sites()
            self._marked = {}
        for s in state.sites:
            mark = site_mark(s.result)
            if self._marked.get(s.key) != mark:
                self._marked[s.key] = mark
                self.waveform.mark_site(s.key, *mark)
        self.panel.verse.show_live(state)
        self.panel.show_live(status_words(state), "Each site is marked as soon as the word after it is heard;"
                             " the whole recording is checked again when you stop.")
        self.status.emit(f"live: {state.status}")
        self.state_shown.emit(state)
