"""Opening one recording and analysing it (or the selected span) in a worker: chunked, so a long
recording shows progress and can be cancelled, and logged once per finished analysis."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from tajweed_desktop.core.audio.formats import CLIP_SECONDS
from tajweed_desktop.core.quran.practice import percent
from . import native_import, verse_mode
from .rule_panel import RulePanel
from .waveform_view import WaveformView
from .workers import WorkerSet

if TYPE_CHECKING:
    from tajweed_desktop.core.audio.recording import Recording
    from tajweed_desktop.core.checking.progressive import Judged
    from tajweed_desktop.core.checking.verses import VerseResult

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
    verse_checked = Signal(object)  # the VerseResult shown (verse mode), found or not
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
        self._job = ""  # "clip" or "verse": what self.worker is doing
        # verse mode (off unless the window turns it on: the controller's own tests are of clip mode)
        self.verse_mode = False
        self.verse_result: VerseResult | None = None  # the verse shown, with its sites
        self.verse_note = ""  # verse mode found no verse: said above the clip verdict
        self.identification = None  # the candidates found from this recording's audio, kept for "Which verse?"
        self.chosen_verse: tuple[int, int, int] | None = None  # named with "Which verse?" for this recording
        self.practice_site: tuple[int, int, int] | None = None  # (surah, ayah, word) from the Practise box
        self._practice_timer = QTimer(self)  # the Practise box changes at each step of its spin boxes
        self._practice_timer.setSingleShot(True)
        self._practice_timer.setInterval(600)
        self._practice_timer.timeout.connect(self._practice_verse_changed)
        self.waveform.selection_changed.connect(self._selection_changed)
        self.panel.cancel_requested.connect(self.cancel)
        self.panel.verse.verse_requested.connect(self.check_verse)
        self.panel.verse.site_selected.connect(self.select_site)

    def set_ensemble(self, ensemble) -> None:
        """A new model (or none while one loads): an analysis by the old one would arrive with
        the old rules, so it is cancelled, and the recording shown is analysed again."""
        self.cancel()
        self.ensemble = ensemble
        if ensemble is not None:
            self.panel.set_labels(list(ensemble.labels))
            if self.recording is not None:
                self._check_recording()

    def set_expected(self, label: str | None) -> None:
        self.expected = label
        if self.verse_result is not None and self.worker is None:
            self._show_verse(self.verse_result)
        elif self.last_judged is not None:
            self._show_prediction()

    def set_practice_site(self, site: tuple[int, int, int] | None) -> None:
        """The verse and word chosen in the Practise box (None: a rule, or nothing, chosen): its verse
        is the verse the recording is checked against (unless "Which verse?" named another)."""
        if site == self.practice_site:
            return
        old, self.practice_site = self.practice_site, site
        if old is not None and site is not None and old[:2] == site[:2]:
            return  # another word of the same verse: set_expected shows its verdict
        self._practice_timer.start()

    def _practice_verse_changed(self) -> None:
        rec = self.recording
        if rec is None or not self.verse_mode or self.chosen_verse is not None or self.ensemble is None:
            return
        given = self._given()
        shown = self.verse_result.alignment if self.verse_result is not None else None
        if given is not None and shown is not None and (shown.surah, shown.first_ayah, shown.last_ayah) == given:
            return
        if verse_mode.wants_verse_mode(rec.path, rec.duration, practice=given) or self.verse_result is not None:
            self._check_recording()

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

    # ---- live mode (live_mode.py) ------------------------------------------------------
    def begin_live(self) -> None:
        """A recording starts, checked live: nothing of the recording shown before stays (no job, no
        verdict, nothing for "Which verse?" or a selection to act on)."""
        self.cancel()
        self.recording = self.last_analysis = self.last_judged = None
        self.verse_result, self.verse_note, self.identification, self.chosen_verse = None, "", None, None
        self.live_state, self.live_said, self._live_pending = None, {}, None

    def expect_live(self, path: str, state, given: tuple[int, int, int] | None) -> None:
        """The recording saved at `path` was checked live, its last live state `state` (None: no
        state came): when it opens, its final check is verse mode's whenever live mode found the
        verse, and its verdicts are shown beside the live ones."""
        self._live_pending = (Path(path), state, given)

    def _live_comparison(self, result: VerseResult) -> None:
        """Which of the final verdicts differ from the live ones (the final ones stand)."""
        from tajweed_desktop.core.checking.live import compare

        self.live_said, self.live_only = {}, []
        if self.live_state is None or not result.ok:
            return
        rows = {(s.surah, s.ayah, s.site): i for i, s in enumerate(result.sites)}
        for c in compare(result, self.live_state):
            if c.final is None:
                self.live_only.append(c.live)
            elif c.changed or (c.live is None and c.final.outcome != verse_mode.NOT_RECITED):
                row = rows[(c.final.surah, c.final.ayah, c.final.site)]
                self.live_said[row] = c.live.result.outcome if c.live is not None else None

    def _opened(self, rec: Recording | Unjudged) -> None:
        self.cancel()
        self.last_analysis = self.last_judged = None
        self.verse_result, self.verse_note, self.identification, self.chosen_verse = None, "", None, None
        pending, self._live_pending = self._live_pending, None
        if pending is not None and pending[0] == Path(rec.path) and pending[1] is not None:
            self.live_state, self._live_given = pending[1], pending[2]
        else:
            self.live_state, self._live_given = None, None
        self.live_said, self.live_only = {}, []
        # the live marks stay until the final check replaces them
        self.waveform.set_audio(rec.samples, rec.sample_rate, keep_sites=self.live_state is not None)
        if isinstance(rec, Unjudged):  # shown and playable, with the reason as its verdict
            self.recording = None
            self.opened.emit(rec)
            self.panel.show_unjudged(rec.path.name, rec.reason, rec.detail)
            self.note.emit(f"{rec.path.name}: {rec.reason}" + (f" ({rec.detail})" if rec.detail else ""), 10000)
            log.info("opened %s: %s", rec.path, rec.reason)
            return
        self.recording = rec
        self.opened.emit(rec)
        self._check_recording()

    # ---- verse mode --------------------------------------------------------------------
    def _given(self) -> tuple[int, int, int] | None:
        """The verse the recording is checked against: named with "Which verse?", else the Practise
        box's verse (the file's own name, SSSAAA.mp3, is read by the core)."""
        if self.chosen_verse is not None:
            return self.chosen_verse
        if self.practice_site is not None:
            s, a, _ = self.practice_site
            return (s, a, a)
        return None

    def _check_recording(self) -> None:
        """Verse mode for a recording that can hold a verse (verse_mode.wants_verse_mode), else the
        clip verdict as before."""
        rec = self.recording
        if rec is None or self.ensemble is None:
            return
        given = self._given()
        live = self.live_state
        if self.verse_mode and live is not None and live.surah is not None and self.chosen_verse is None:
            # checked live against a verse: the final check is verse mode's at any length, through
            # the last verse the learner was followed to when the Practise box named the first
            from tajweed_desktop.core.checking.live import final_given

            self.check_verse(final_given(self._live_given, live), chosen=False)
        elif self.verse_mode and verse_mode.wants_verse_mode(rec.path, rec.duration, self.chosen_verse,
                                                             None if self.chosen_verse else given):
            self.check_verse(given, chosen=False)
        else:
            self.analyse()

    def check_verse(self, given: tuple[int, int, int] | None = None, chosen: bool = True) -> None:
        """Run verse mode on the recording shown; `given` (from "Which verse?" when `chosen`) names the
        verse to check it against, None identifies it from the audio (or the file's name)."""
        if self.ensemble is None or self.recording is None:
            return
        if chosen:
            self.chosen_verse = tuple(given) if given is not None else None
            self.live_state = None  # another verse named: the live verdicts were of another check
        self.cancel()
        if self.live_state is None or self.verse_result is not None:
            self.waveform.clear_sites()  # (the live marks stay until the final check replaces them)
        self.waveform.select_span(0.0, self.waveform.duration)  # the whole recording is checked (and played)
        from tajweed_desktop.core.quran.alignment import verse_label

        checking = f"Checking against {verse_label(*given)}…" if given else "Finding the verse…"
        if self.live_state is not None and self.verse_result is None:
            checking = "Checking the whole recording once more (the live marks stay until then)… " + checking
        self.panel.show_steps(checking)
        self._started = time.monotonic()
        self._job = "verse"
        # a step or result already on its way when the job was cancelled is not shown (the signals are
        # disconnected at cancel, but what was queued before is still delivered)
        self._generation += 1
        gen = self._generation
        worker = self.workers.start(verse_mode.verse_job, self.ensemble, str(self.recording.path), given,
                                    on_yield=lambda step: gen == self._generation and self._verse_step(step),
                                    on_result=lambda r: gen == self._generation and self._verse_done(r),
                                    on_error=lambda e: gen == self._generation and self._analysis_failed(e))
        self.worker = worker
        key = id(worker)
        worker.finished.connect(lambda: self._worker_done(key))

    def _verse_step(self, step: str) -> None:
        self.panel.show_steps(verse_mode.step_text(step))
        self.note.emit(verse_mode.step_text(step), 5000)

    def _verse_done(self, result: VerseResult) -> None:
        elapsed = time.monotonic() - self._started
        self.worker = None
        if result.identification is not None:
            self.identification = result.identification
        self._live_comparison(result)
        if self.live_state is not None and not result.ok:
            self.waveform.clear_sites()  # the final check stands: no verse, no site marks
        if result.ok:
            self.verse_result, self.verse_note = result, ""
            self.last_analysis = self.last_judged = None
            log.info("verse mode %s: %s (%.1f s)", result.path, result.summary(), elapsed)
            self._show_verse(result)
            self.note.emit(f"{result.path.name}: {self.panel.verdict.text()}", 10000)
        elif result.given is None and result.alignment is None or self._from_practice(result):
            # no verse found from the audio, or not the verse of the Practise box (which may have been
            # chosen for another recording): the clip verdict, as for any recording, with why
            self.verse_result, self.verse_note = None, result.error
            if self._from_practice(result):
                self.verse_note += ", the verse chosen in the Practise box"
            log.info("verse mode %s: %s; the clip verdict instead (%.1f s)", result.path, result.error, elapsed)
            self._show_candidates(None)
            self.analyse()
        else:  # a verse named that the recording does not match, or a file that cannot be read
            self.verse_result, self.verse_note = None, ""
            self.last_analysis = self.last_judged = None
            log.info("verse mode %s: %s (%.1f s)", result.path, result.error, elapsed)
            self.note.emit(f"{result.path.name}: {result.error}", 10000)
            self.panel.show_message(result.error[:1].upper() + result.error[1:])
            self.panel.detail.setText("No site is judged against a verse the recording does not match. Choose "
                                      "another in “Which verse?”, or open a recording of this verse."
                                      if result.alignment is not None else "")
            self.panel.verse.show_result(result)
            self._show_candidates(result.given)
            self.panel.verse.show()
        self.verse_checked.emit(result)

    def _from_practice(self, result: VerseResult) -> bool:
        """Whether the verse checked was named only by the Practise box."""
        return (result.given is not None and self.chosen_verse is None and self.practice_site is not None
                and verse_mode.named_verse(result.path) is None and result.given[:2] == self.practice_site[:2])

    def _show_candidates(self, current) -> None:
        box = self.panel.verse
        box.set_candidates(self.identification, current)
        if self.verse_note:
            box.note.setText("")
            box.show_result(_Empty(self.recording.path if self.recording else Path()))

    def _show_verse(self, result: VerseResult) -> None:
        al = result.alignment
        current = (al.surah, al.first_ayah, al.last_ayah)
        box = self.panel.verse
        box.show_result(result, self.live_said)
        box.set_candidates(self.identification, current)
        box.note.setText("")
        judged = [s for s in result.sites if s.outcome != verse_mode.NOT_RECITED]
        good = sum(s.outcome == verse_mode.AS_EXPECTED for s in result.sites)
        if result.sites:
            verdict = f"{al.label}: {good} of {len(result.sites)} sites as expected"
        else:
            verdict = f"{al.label}: no noon sakinah or tanween in this verse"
        how = self._how_named(result)
        counts = {o: sum(s.outcome == o for s in result.sites) for o in verse_mode.MARKS}
        tally = ", ".join(f"{verse_mode.mark(o)} {n} {o}" for o, n in counts.items() if n)
        detail = f"{how} {tally + '. ' if tally else ''}"
        if judged:
            detail += "Click a site to select it on the waveform; Space plays it."
        detail += self._live_line(result)
        practice, outcome = self._practice_line(result)
        self.panel.show_verse(verdict, detail, practice, outcome)
        rows = {id(s): i for i, s in enumerate(result.sites)}
        marks = []
        for s in judged:
            label = f"{s.word} {verse_mode.mark(s.outcome)}"
            said = self.live_said.get(rows[id(s)], "")
            if rows[id(s)] in self.live_said:
                label += f" (live {verse_mode.mark(said) if said else '–'})"
            marks.append((s.start, s.end, label, s.outcome, rows[id(s)] in self.live_said))
        self.waveform.set_sites(marks)
        self.panel.show_site(None, "Click a site in the list to see the rules heard there." if judged else "")
        if self.practice_site is not None:
            for i, s in enumerate(result.sites):
                if (s.surah, s.ayah, s.site) == self.practice_site:
                    box.select_site(i)

    def _live_line(self, result: VerseResult) -> str:
        """For a recording checked live: how the live verdicts compare with the final ones."""
        if self.live_state is None:
            return ""
        live_n = len(self.live_state.sites)
        if not live_n:
            return " Live mode judged no site while recording."
        differ = sum(1 for said in self.live_said.values() if said is not None)
        missed = len(self.live_said) - differ
        agree = live_n - differ - len(self.live_only)
        line = f" Live: {agree} of {live_n} live verdicts agree with this final check"
        if differ or missed or self.live_only:
            parts = ([f"{differ} differ (the list says what live mode said; the final verdict stands)"] if differ else []) \
                + ([f"{missed} judged only now"] if missed else []) \
                + ([f"{len(self.live_only)} judged live are not in this verse"] if self.live_only else [])
            line += "; " + ", ".join(parts)
        return line + "."

    def _how_named(self, result: VerseResult) -> str:
        score = result.alignment.score
        if result.given is None:
            others = [c for c in (self.identification.candidates[1:4] if self.identification else ())]
            # the others without their alignment scores: the ranking also weighs how well the
            # transcript matches each text, so a lower-ranked run can align better ("others: 82:17-19 0.05"
            # under "82:19, score 0.04" read as a wrong choice)
            more = "; next best: " + ", ".join(c.label for c in others) if others else ""
            return f"Found from the audio, score {score:.2f}{more}."
        if self.chosen_verse == result.given:
            return f"Checked against the verse you named (score {score:.2f})."
        if self.practice_site is not None and self.practice_site[:2] == result.given[:2]:
            return f"Checked against the verse chosen in the Practise box (score {score:.2f})."
        return f"Named by the file name {result.path.name} (score {score:.2f})."

    def _practice_line(self, result: VerseResult) -> tuple[str | None, str]:
        """The practice answer for the Practise box's word, which is one of the verse's sites."""
        if self.practice_site is None:
            return None, ""
        from tajweed_desktop.core.quran.practice import outcome, practice_answer

        s_, a_, w_ = self.practice_site
        site = next((s for s in result.sites if (s.surah, s.ayah, s.site) == self.practice_site), None)
        if site is None:
            return f"The word chosen in the Practise box ({s_}:{a_}, word {w_}) is not in {result.alignment.label}.", ""
        mark = verse_mode.mark(site.outcome)
        if site.prediction is None or site.expected is None:
            return f"{mark} word {w_} {site.word}: {verse_mode.OUTCOME_WORDS.get(site.outcome, site.outcome)}", site.outcome
        result_word = outcome(site.prediction, site.expected)
        answer = practice_answer(site.prediction, site.expected)
        return f"{mark} word {w_} {site.word}: {answer}", result_word

    def select_site(self, index: int) -> None:
        """A site clicked in the list: its span selected on the waveform (Space plays it), its
        probabilities in the rule rows."""
        if self.verse_result is None or not 0 <= index < len(self.verse_result.sites):
            return
        s = self.verse_result.sites[index]
        if s.outcome != verse_mode.NOT_RECITED:
            self.waveform.select_span(s.start, s.end)
        # the Arabic word last and bidi-isolated: between the numbers it reordered them ("word 4 6.28–2.98 نَفۡسࣱ s")
        where = f"{s.surah}:{s.ayah} word {s.site} ({s.start:.2f}–{s.end:.2f} s) \u2068{s.word}\u2069"
        self.panel.show_site(s.prediction, f"<b>Rules heard at {where}</b>" if s.prediction is not None
                             else f"{where}: {verse_mode.OUTCOME_WORDS.get(s.outcome, s.outcome)}, not judged")

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
        self._job = "clip"
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
        self._generation += 1
        worker, self.worker = self.worker, None
        for signal in (worker.yielded, worker.returned, worker.errored):
            try:
                signal.disconnect()
            except (RuntimeError, TypeError):
                pass
        worker.quit()  # seen at its next step: a verse job's step in progress runs to its end, unheard
        if self._job == "verse" and self.verse_result is not None:
            self._show_verse(self.verse_result)
        elif self.last_judged is None:
            self.panel.show_message("Analysis cancelled. Drag the shaded selection to analyse a part of the recording.")
        else:
            self._show_prediction()
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
        self._show_prediction()
        if self.verse_result is None:  # in verse mode the sites are marked instead
            self.waveform.set_judged(offset + judged.clip_start, offset + judged.clip_end)
        if analysis.timeline:
            centres = np.array([(t.start + t.end) / 2 for t in analysis.timeline])
            probs = np.stack([t.prediction.probabilities for t in analysis.timeline])
            self.waveform.set_timeline(list(analysis.clip.labels), centres, probs)
        self.analysed.emit(analysis)

    def _show_prediction(self) -> None:
        self.panel.show_prediction(self.last_judged, self._where, self.expected)
        if self.verse_note:  # verse mode found no verse: why, and "Which verse?" to name one
            self.panel.detail.setText(f"{self.verse_note[:1].upper() + self.verse_note[1:]}; the verdict is "
                                      f"for one clip, as for any recording. {self.panel.detail.text()}")
            self.panel.verse.show()
        elif self.verse_result is not None:  # a selection analysed in verse mode: the verse stays
            self.panel.verse.show()

    _where = ""
    _started = 0.0
    _generation = 0
    # live mode: the last live state of the recording shown (None: not recorded live), the final
    # rows whose verdict differs from the live one (row -> what live said, None: not judged live),
    # the live sites the final check does not have, and the recording saved but not opened yet
    live_state = None
    live_said: dict = {}
    live_only: list = []
    _live_given = None
    _live_pending = None


@dataclass(frozen=True)
class _Empty:
    """No verse to show (the verse box keeps only "Which verse?")."""

    path: Path
    ok: bool = False
    alignment: object = None
    sites: tuple = ()
