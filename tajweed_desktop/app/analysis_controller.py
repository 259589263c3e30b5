"""Opening one recording and analysing it (or the selected span) in a worker: chunked, so a long
recording shows progress and can be cancelled, and logged once per finished analysis."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from tajweed_desktop.core.audio.formats import CLIP_SECONDS
from tajweed_desktop.core.quran.practice import percent
from . import native_import
from .rule_panel import RulePanel
from .waveform_view import WaveformView
from .workers import WorkerSet

if TYPE_CHECKING:
    from tajweed_desktop.core.audio.recording import Recording
    from tajweed_desktop.core.checking.progressive import Judged

log = logging.getLogger("tajweed_desktop.analysis")


@dataclass(frozen=True)
class Unjudged:
    """A file that opened but holds nothing to judge (no voice, silence, too short): its waveform
    is shown and Space plays it; the panel says why it gets no rule."""

    path: Path
    samples: np.ndarray  # mono, 16 kHz, DC removed, not levelled
    sample_rate: int
    reason: str  # "no recitation heard"
    detail: str | None

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def _load_recording(path: str) -> Recording | Unjudged:
    native_import.wait()
    from tajweed_desktop.core.audio.decode import decode_bounded
    from tajweed_desktop.core.audio.formats import SAMPLE_RATE
    from tajweed_desktop.core.audio.recording import recording_from_array
    from tajweed_desktop.core.common.errors import NoSoundError, NoSpeechError, TooShortError

    samples, rate, channels = decode_bounded(path)  # mono, already at 16 kHz
    try:
        return recording_from_array(samples, SAMPLE_RATE, path, channels, original_rate=rate)
    except (NoSpeechError, NoSoundError, TooShortError) as exc:
        return Unjudged(Path(path), (samples - samples.mean()).astype(np.float32), SAMPLE_RATE, exc.reason, exc.detail)


def _span(rec: Recording, start: float, end: float) -> Recording:
    """The span prepared exactly as a file of its own would be."""
    from tajweed_desktop.core.audio.recording import recording_from_array

    s, e = int(start * rec.sample_rate), int(end * rec.sample_rate)
    return recording_from_array(rec.samples[s:e], rec.sample_rate, rec.path)


def analysis_job(ensemble, rec: Recording, start: float, end: float):
    """A generator worker: yields (done, total) per chunk; returns (Judged, offset, whole)."""
    from tajweed_desktop.core.checking.progressive import analyse_steps

    whole = start <= 0.01 and end >= rec.duration - 0.01
    if not whole:
        rec = _span(rec, start, end)
    judged = yield from analyse_steps(ensemble, rec, timeline=whole and rec.duration > CLIP_SECONDS)
    return judged, (0.0 if whole else start), whole


def log_line(judged: Judged, offset: float) -> str:
    a, clip = judged.analysis, judged.analysis.clip
    line = (f"analysed {a.path} {offset + judged.clip_start:.2f}–{offset + judged.clip_end:.2f} s: "
            f"{clip.top_rule} {percent(clip.confidence)}")
    return line + (" (uncertain)" if clip.uncertain else "")


def where_judged(judged: Judged, offset: float, whole: bool) -> str:
    """Which span the headline verdict judged, in words: the model hears one 4 s clip, cut from
    the middle of the recitation once the silence at its ends is left out."""
    a = judged.analysis
    start, end = offset + judged.clip_start, offset + judged.clip_end
    span = f"Judged {start:.2f}–{end:.2f} s (marked on the waveform)"
    if end - start < CLIP_SECONDS - 0.01:
        what = f"{span}: all the recitation heard"
    else:
        what = f"{span}, the middle {CLIP_SECONDS:.0f} s of the recitation"
    if whole and a.duration > CLIP_SECONDS + 0.01:
        return (f"{what} in the {a.duration:.1f} s recording; the timeline below judges a {CLIP_SECONDS:.0f} s "
                "window every second.")
    if whole:
        return ""
    return f"Selection {offset:.2f}–{offset + a.duration:.2f} s. {what} in it."


class AnalysisController(QObject):
    opened = Signal(object)  # the Recording now shown
    cleared = Signal()  # a file could not be opened: nothing is shown any more
    analysed = Signal(object)  # the Analysis
    failed = Signal(str, str)  # title, one line
    note = Signal(str, int)  # for the status bar: text, milliseconds

    def __init__(self, workers: WorkerSet, waveform: WaveformView, panel: RulePanel, parent=None):
        super().__init__(parent)
        self.workers = workers
        self.waveform = waveform
        self.panel = panel
        self.ensemble = None
        self.recording: Recording | None = None
        self.last_analysis = None
        self.last_judged: Judged | None = None
        self.expected: str | None = None  # practice: the rule the learner means to recite
        self.worker = None
        self.waveform.selection_changed.connect(self._selection_changed)
        self.panel.cancel_requested.connect(self.cancel)

    def set_ensemble(self, ensemble) -> None:
        """A new model (or none while one loads): an analysis by the old one would arrive with
        the old rules, so it is cancelled, and the recording shown is analysed again."""
        self.cancel()
        self.ensemble = ensemble
        if ensemble is not None:
            self.panel.set_labels(list(ensemble.labels))
            if self.recording is not None:
                self.analyse()

    def set_expected(self, label: str | None) -> None:
        self.expected = label
        if self.last_judged is not None:
            self.panel.show_prediction(self.last_judged, self._where, self.expected)

    # ---- opening -----------------------------------------------------------------------
    def open_file(self, path: str) -> None:
        self.panel.show_message(f"Reading {Path(path).name}…")
        self.workers.start(_load_recording, path, on_result=self._opened, on_error=lambda e: self._open_failed(path, e))

    def _open_failed(self, path: str, exc: Exception) -> None:
        """Nothing of the previous clip stays: no waveform, no verdict, nothing for Space to play."""
        self.cancel()
        self.recording = self.last_analysis = self.last_judged = None
        self.waveform.clear()
        self.cleared.emit()
        text = str(exc)
        self.failed.emit("Cannot open", text if path in text or Path(path).name in text else f"{path}: {text}")

    def _opened(self, rec: Recording | Unjudged) -> None:
        self.cancel()
        self.last_analysis = self.last_judged = None
        self.waveform.set_audio(rec.samples, rec.sample_rate)
        if isinstance(rec, Unjudged):  # shown and playable, with the reason as its verdict
            self.recording = None
            self.opened.emit(rec)
            self.panel.show_unjudged(rec.path.name, rec.reason, rec.detail)
            self.note.emit(f"{rec.path.name}: {rec.reason}" + (f" ({rec.detail})" if rec.detail else ""), 10000)
            log.info("opened %s: %s", rec.path, rec.reason)
            return
        self.recording = rec
        self.opened.emit(rec)
        self.analyse()

    # ---- analysis ----------------------------------------------------------------------
    def _selection_changed(self, start: float, end: float) -> None:
        if self.recording is not None:
            self.analyse()

    def analyse(self) -> None:
        if self.ensemble is None or self.recording is None:
            return
        self.cancel()
        start, end = self.waveform.selection()
        self.panel.show_busy("Analysing…")
        self._started = time.monotonic()
        worker = self.workers.start(analysis_job, self.ensemble, self.recording, start, end,
                                    on_yield=self._progress, on_result=self._analysed, on_error=self._analysis_failed)
        self.worker = worker
        # a worker's signals reach only the latest request: an older, cancelled one says nothing
        key = id(worker)
        worker.finished.connect(lambda: self._worker_done(key))

    def _worker_done(self, key: int) -> None:
        if self.worker is not None and id(self.worker) == key:
            self.worker = None

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def cancel(self) -> bool:
        """Stop the analysis in progress (Esc, or the panel's Cancel); True if there was one."""
        if self.worker is None:
            return False
        worker, self.worker = self.worker, None
        for signal in (worker.yielded, worker.returned, worker.errored):
            try:
                signal.disconnect()
            except (RuntimeError, TypeError):
                pass
        worker.quit()
        if self.last_judged is None:
            self.panel.show_message("Analysis cancelled. Drag the shaded selection to analyse a part of the recording.")
        else:
            self.panel.show_prediction(self.last_judged, self._where, self.expected)
        return True

    def _progress(self, step) -> None:
        done, total = step
        self.panel.show_progress(done, total, time.monotonic() - self._started)

    def _analysis_failed(self, exc: Exception) -> None:
        self.panel.show_message(str(exc))
        self.failed.emit("Cannot analyse", str(exc))

    def _analysed(self, result) -> None:
        judged, offset, whole = result
        analysis = judged.analysis
        self._where = where_judged(judged, offset, whole)
        self.last_analysis, self.last_judged = analysis, judged
        log.info(log_line(judged, offset))
        self.panel.show_prediction(judged, self._where, self.expected)
        self.waveform.set_judged(offset + judged.clip_start, offset + judged.clip_end)
        if analysis.timeline:
            centres = np.array([(t.start + t.end) / 2 for t in analysis.timeline])
            probs = np.stack([t.prediction.probabilities for t in analysis.timeline])
            self.waveform.set_timeline(list(analysis.clip.labels), centres, probs)
        self.analysed.emit(analysis)

    _where = ""
    _started = 0.0
