"""Verse mode: a recording of a whole verse (or a run of consecutive verses) judged site by site.

Find the verse (named, or identified from the audio), align its words, and for every noon sakinah
/ tanween site cut the clip exactly as reciters5's training clips were cut (`clips.cut_span`: the
site word's onset to the onset of the word after the word that decides the rule), prepare it as
its own recording and let the bundle judge it. Outcomes per site: `as expected`, `not yet`,
`uncertain`, `stopped` (a pause of at least STOP_SECONDS at the junction: no rule applies) and
`not recited` (the recording ends before the site).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio.clips import cut_span
from tajweed_desktop.core.audio.decode import decode_bounded
from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.audio.levels import FRAME_SECONDS, TARGET_RMS_DBFS
from tajweed_desktop.core.audio.recording import Recording, recording_from_array
from tajweed_desktop.core.common.errors import TajweedError
from tajweed_desktop.core.model.ensemble import Ensemble, Prediction
from tajweed_desktop.core.model.transcriber import Transcriber
from tajweed_desktop.core.quran import identify as ident
from tajweed_desktop.core.quran import text
from tajweed_desktop.core.quran import words as qwords
from tajweed_desktop.core.quran.alignment import Alignment, verse_label

STOP_SECONDS = 0.25  # this much silence at a cross-word junction is a stop: the rule does not apply
# Silence is what the voice detector does not call speech, or sound this far below the speech level
# (which preparation brings to TARGET_RMS_DBFS). Not "inactive" sound (20 dB below): Husary's
# نَفۡسࣱ لِّنَفۡسࣲ (82:19) holds 0.28 s of voiced sound 18-26 dB below his speech level at the
# junction, and 3 of the verse's 4 sites were called stopped; his real pause there is -60 dB.
SILENCE_DB = 35.0
NOT_RECITED_SECONDS = 0.1  # a site word starting this close to (or after) the end of the sound was not recited

COLUMNS = ["file", "surah", "ayah", "verse_score", "site", "word", "next_word", "expected", "heard", "confidence",
           "uncertain", "outcome", "start_s", "end_s", "error"]


@dataclass(frozen=True)
class SiteResult:
    surah: int
    ayah: int
    site: int  # the 1-based index in the verse of the word that carries the noon or tanween
    word: str
    next_word: str
    expected: str | None  # the bundle's label for the site's rule
    rule: str  # the site table's detailed rule
    start: float
    end: float
    outcome: str
    prediction: Prediction | None = None
    pause: float = 0.0  # the longest silence (s) at the junction
    error: str = ""


@dataclass(frozen=True)
class VerseResult:
    path: Path
    alignment: Alignment | None = None
    identification: ident.Identification | None = None
    sites: tuple[SiteResult, ...] = ()
    error: str = ""
    given: tuple[int, int, int] | None = None

    @property
    def ok(self) -> bool:
        return not self.error

    def summary(self) -> str:
        if self.error:
            return self.error
        judged = [s for s in self.sites]
        good = sum(s.outcome == "as expected" for s in judged)
        return f"{self.alignment.label}: {good} of {len(judged)} sites as expected" if judged else f"{self.alignment.label}: no sites"


def longest_pause(rec: Recording, a: float, b: float) -> float:
    """The longest run of silent frames (not speech to the voice detector, or SILENCE_DB below the
    speech level) between a and b seconds."""
    first, last = max(0, int(a / FRAME_SECONDS)), min(len(rec.active), int(np.ceil(b / FRAME_SECONDS)))
    hop = int(FRAME_SECONDS * SAMPLE_RATE)
    last = max(first, min(last, rec.samples.shape[0] // hop))
    frames = rec.samples[first * hop : last * hop].reshape(-1, hop).astype(np.float64)
    level_db = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    voiced = np.asarray(rec.voiced if rec.voiced is not None else rec.active, bool)[first:last]
    n = min(voiced.shape[0], level_db.shape[0])
    quiet = ~voiced[:n] | (level_db[:n] < TARGET_RMS_DBFS - SILENCE_DB)
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best * FRAME_SECONDS


def site_spans(al: Alignment) -> list[tuple[text.Site, float, float | None, float | None]]:
    """Every site of the aligned verses with its cut: the site word's onset, the onset of the word
    after the word that decides the rule (None: the recording's end), and that deciding word's onset."""
    out = []
    order = [(w.ayah, w.word) for w in al.words if w.word > 0]
    onsets = {(w.ayah, w.word): w.start for w in al.words if w.word > 0}
    for ayah in range(al.first_ayah, al.last_ayah + 1):
        for site in text.sites(al.surah, ayah):
            nxt = site.word if site.next_token == site.token else site.word + 1
            k = order.index((ayah, nxt))
            end = onsets[order[k + 1]] if k + 1 < len(order) else None
            out.append((site, onsets[(ayah, site.word)], end, onsets[(ayah, nxt)] if nxt != site.word else None))
    return out


@dataclass(frozen=True)
class SiteCut:
    """One site's clip as verse mode and the trainer cut it (`cut_sites`), before any judging."""

    site: text.Site
    next_word: str  # the word whose first letter decides the rule (the site's own word inside a word)
    clip: np.ndarray  # the samples of `raw` from `start` to `end`
    start: float  # the span (s) the clip covers
    end: float
    onset: float  # the site word's onset (s) in the alignment
    junction: float | None  # the deciding word's onset (None: the site is inside its word)
    next_onset: float | None  # the onset of the word after the deciding word (None: the recording's end)
    outcome: str  # "" (to judge), "not recited" or "stopped"
    pause: float = 0.0  # the longest silence (s) at the junction


def cut_sites(raw: np.ndarray, rec: Recording, al: Alignment,
              spans: list[tuple[text.Site, float, float | None, float | None]] | None = None) -> list[SiteCut]:
    """Every site of `spans` (default: all of `site_spans(al)`) cut from `raw` with `clips.cut_span`,
    with what the judge needs to know first: whether the site was recited at all and whether the
    reciter stopped at the junction (`rec` is `raw` prepared: its speech frames tell the pauses and
    the end of the sound). The one cut verse mode (`judge_sites`) and the trainer's whole-verse
    source (trainer/verses.py) share."""
    words = {a: qwords.verse_words(al.surah, a) for a in range(al.first_ayah, al.last_ayah + 1)}
    sound_end = (np.flatnonzero(rec.active)[-1] + 1) * FRAME_SECONDS if rec.active.any() else 0.0
    out: list[SiteCut] = []
    for site, start, end, junction in site_spans(al) if spans is None else spans:
        ws = words[site.ayah]
        nxt_word = ws[site.word] if site.next_token != site.token and site.word < len(ws) else ws[site.word - 1]
        clip, a, b = cut_span(raw, start, end)
        base = dict(site=site, next_word=nxt_word, clip=clip, start=a, end=b, onset=start, junction=junction,
                    next_onset=end)
        last_needed = junction if junction is not None else start
        if start > sound_end - NOT_RECITED_SECONDS or last_needed > sound_end - NOT_RECITED_SECONDS:
            out.append(SiteCut(**base, outcome="not recited"))
            continue
        pause = longest_pause(rec, (start + junction) / 2, junction + 0.1) if junction is not None else 0.0
        out.append(SiteCut(**base, outcome="stopped" if pause >= STOP_SECONDS else "", pause=pause))
    return out


def judge_sites(ensemble: Ensemble, raw: np.ndarray, rec: Recording, al: Alignment,
                spans: list[tuple[text.Site, float, float | None, float | None]] | None = None) -> list[SiteResult]:
    """Every site of `spans` (default: all of `site_spans(al)`) cut from `raw` (`cut_sites`) and
    judged; `rec` is `raw` prepared (its speech frames tell the pauses and the end of the sound).
    Live mode passes the sites whose next words it has heard (core/checking/live.py)."""
    pending: list[tuple[int, Recording]] = []
    rows: list[SiteResult] = []
    for cut in cut_sites(raw, rec, al, spans):
        site = cut.site
        expected = text.expected_label(site, ensemble.labels)
        base = dict(surah=site.surah, ayah=site.ayah, site=site.word, word=site.token, next_word=cut.next_word,
                    expected=expected, rule=site.rule, start=cut.start, end=cut.end)
        if cut.outcome == "not recited":
            rows.append(SiteResult(**base, outcome="not recited"))
            continue
        if cut.outcome == "stopped":
            rows.append(SiteResult(**base, outcome="stopped", pause=cut.pause))
            continue
        try:
            pending.append((len(rows), recording_from_array(cut.clip, SAMPLE_RATE, rec.path)))
            rows.append(SiteResult(**base, outcome="", pause=cut.pause))
        except TajweedError as exc:
            rows.append(SiteResult(**base, outcome="uncertain", pause=cut.pause, error=str(exc)))
    if pending:
        analyses = ensemble.analyse_many([r for _, r in pending])
        for (i, _), an in zip(pending, analyses):
            p = an.clip
            r = rows[i]
            outcome = "uncertain" if p.uncertain else ("as expected" if p.top_rule == r.expected else "not yet")
            rows[i] = SiteResult(**{**r.__dict__, "outcome": outcome, "prediction": p})
    return rows


def check_verse_file(ensemble: Ensemble, tr: Transcriber, path: str | Path,
                     given: tuple[int, int, int] | None = None, use_filename: bool = True) -> VerseResult:
    """One recording in verse mode; never raises for bad input (the error is in the result)."""
    return _last(verse_steps(ensemble, tr, path, given, use_filename))


def check_verse_samples(ensemble: Ensemble, tr: Transcriber, raw: np.ndarray, path: str | Path | None = None,
                        given: tuple[int, int, int] | None = None, channels: int = 1,
                        original_rate: int | None = None) -> VerseResult:
    """Verse mode on samples already in memory (16 kHz mono, as `decode_bounded` gives them, or a
    recording being made): what `check_verse_file` does after decoding. Never raises for bad input."""
    return _last(sample_steps(ensemble, tr, raw, path, given, channels, original_rate))


def _last(steps: Generator[str, None, VerseResult]) -> VerseResult:
    """Run a step generator to its end and give what it returns."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def verse_steps(ensemble: Ensemble, tr: Transcriber, path: str | Path, given: tuple[int, int, int] | None = None,
                use_filename: bool = True) -> Generator[str, None, VerseResult]:
    """`check_verse_file` one step at a time, for a caller that shows what it is doing and may stop
    between steps (the app's worker): yields the step about to run ("reading", "finding the verse",
    "aligning 82:5", "judging the sites of 82:5"), returns the VerseResult. Never raises for bad input."""
    path = Path(path)
    try:
        yield "reading"
        raw, rate, channels = decode_bounded(path)
        if given is None and use_filename:
            given = ident.verse_from_filename(path.name)
    except TajweedError as exc:
        return VerseResult(path, error=str(exc), given=given)
    except Exception as exc:  # a bug must not end a batch
        return VerseResult(path, error=f"{path}: unexpected error ({type(exc).__name__}: {exc})", given=given)
    return (yield from sample_steps(ensemble, tr, raw, path, given, channels, rate))


def sample_steps(ensemble: Ensemble, tr: Transcriber, raw: np.ndarray, path: str | Path | None = None,
                 given: tuple[int, int, int] | None = None, channels: int = 1,
                 original_rate: int | None = None) -> Generator[str, None, VerseResult]:
    """`check_verse_samples` one step at a time (as `verse_steps`)."""
    path = Path(path) if path is not None else Path("recording")
    try:
        rec = recording_from_array(raw, SAMPLE_RATE, path, channels, original_rate=original_rate)
        found = None
        if given is not None:
            yield f"aligning {verse_label(*given)}"
            al, fits, _ = ident.check_given(tr, rec.samples, *given)
            if not fits:
                return VerseResult(path, al, error=f"this recording does not sound like "
                                   f"{verse_label(*given)} (score {al.score:.2f})", given=given)
        else:
            yield "finding the verse"
            found = ident.identify(tr, rec.samples)
            if not found.found:
                return VerseResult(path, identification=found, error=found.message())
            al = found.best.alignment
        yield f"judging the sites of {al.label}"
        return VerseResult(path, al, found, tuple(judge_sites(ensemble, raw, rec, al)), given=given)
    except TajweedError as exc:
        return VerseResult(path, error=str(exc), given=given)
    except Exception as exc:  # a bug must not end a batch
        return VerseResult(path, error=f"{path}: unexpected error ({type(exc).__name__}: {exc})", given=given)


def rows(result: VerseResult, name: str | None = None) -> list[dict]:
    """The checker's rows for one file: one per site, one with `site` empty for a verse without
    sites, one with the error for a file that could not be checked."""
    file = name or str(result.path)
    al = result.alignment
    head = {"file": file, "surah": al.surah if al else "", "ayah": al.first_ayah if al else "",
            "verse_score": round(al.score, 4) if al else ""}
    blank = {k: "" for k in COLUMNS}
    if result.error:
        if al is None and result.identification and result.identification.best:
            b = result.identification.best
            head.update(surah=b.surah, ayah=b.first_ayah, verse_score=round(b.score or 0.0, 4))
        return [{**blank, **head, "error": result.error}]
    if not result.sites:
        return [{**blank, **head, "ayah": al.first_ayah if al.first_ayah == al.last_ayah else verse_label(al.surah, al.first_ayah, al.last_ayah).split(":")[1]}]
    out = []
    for s in result.sites:
        p = s.prediction
        out.append({**blank, **head, "ayah": s.ayah, "site": s.site, "word": s.word, "next_word": s.next_word,
                    "expected": s.expected or "", "heard": p.top_rule if p else "",
                    "confidence": round(p.confidence, 4) if p else "", "uncertain": p.uncertain if p else "",
                    "outcome": s.outcome, "start_s": round(s.start, 3), "end_s": round(s.end, 3), "error": s.error})
    return out
