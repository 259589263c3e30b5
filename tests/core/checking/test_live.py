"""Live verse mode (core/checking/live.py) on real reciters5 verses fed in chunks, as a recorder
would give them: live verdicts per site, the final pass beside them, silence and noise, a verse
abandoned halfway, the 'latest wins' mailbox."""

from __future__ import annotations

import numpy as np
import pytest

from tajweed_desktop.core.audio.decode import decode_bounded
from tajweed_desktop.core.checking import live
from tajweed_desktop.core.checking.verses import check_verse_file
from tests.conftest import need_data

OUTCOMES = {"as expected", "not yet", "uncertain", "stopped"}


@pytest.fixture(scope="module")
def models():
    from tajweed_desktop.core.model.ensemble import Ensemble
    from tajweed_desktop.core.model.paths import default_bundle_path
    from tajweed_desktop.core.model.transcriber import Transcriber

    ens = Ensemble.from_path(default_bundle_path())
    return ens, Transcriber(ens.encoder)


def feed(checker: live.LiveChecker, x: np.ndarray, chunk_s: float) -> list[live.LiveState]:
    step = int(chunk_s * 16000)
    return [checker.update(x[: min(len(x), k)]) for k in range(step, len(x) + step, step)]


def test_a_verse_fed_in_chunks_is_judged_site_by_site_and_the_final_pass_is_verse_modes(models):
    ens, tr = models
    path = need_data("reciters5", "verses", "maher", "113005.mp3")  # sites at words 1 and 3 of 5
    x = decode_bounded(path)[0]
    checker = live.LiveChecker(ens, tr, given=(113, 5, 5), path=path)
    kept = x.copy()
    states = feed(checker, x, 0.5)
    assert np.array_equal(x, kept)  # the recording is only read
    duration = len(x) / 16000
    last = states[-1]
    assert (last.surah, last.ayah) == (113, 5) and last.heard
    assert [s.key for s in last.sites] == [(113, 5, 1), (113, 5, 3)]
    assert all(s.result.outcome in OUTCOMES for s in last.sites)
    first = last.sites[0]
    assert first.first_at < duration - 1.0  # word 1's verdict came while the verse went on
    report = checker.finish(x)
    reference = check_verse_file(ens, tr, path)
    assert [(s.surah, s.ayah, s.site, s.outcome) for s in report.final.sites] == \
        [(s.surah, s.ayah, s.site, s.outcome) for s in reference.sites]
    assert [c.live.key for c in report.sites] == [(113, 5, 1), (113, 5, 3)]


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_silence_or_noise_fed_live_marks_nothing(models, kind):
    ens, tr = models
    rng = np.random.default_rng(0)
    x = np.zeros(5 * 16000, np.float32) if kind == "silence" else (0.1 * rng.standard_normal(5 * 16000)).astype(np.float32)
    checker = live.LiveChecker(ens, tr)
    states = feed(checker, x, 0.5)
    assert all(s.status == live.NO_RECITATION and not s.heard and not s.sites for s in states)


def test_a_verse_abandoned_halfway_leaves_the_sites_not_reached_unmarked(models):
    ens, tr = models
    path = need_data("reciters5", "verses", "husary", "082019.mp3")  # sites at words 4, 5, 6 and 8 of 9
    x = decode_bounded(path)[0]
    half = np.concatenate([x[: int(0.45 * len(x))], np.zeros(2 * 16000, np.float32)])  # then silence
    checker = live.LiveChecker(ens, tr, given=(82, 19, 19), path=path)
    states = feed(checker, half, 1.0)
    marked = {s.key[2] for s in states[-1].sites}
    assert 4 in marked  # heard, judged
    assert not marked & {6, 8}  # not reached: unmarked
    report = checker.finish(half)
    final = {c.final.site: c for c in report.sites if c.final is not None}
    assert final[8].final.outcome == "not recited" and final[8].live is None


def test_the_mailbox_hands_over_the_latest_audio_and_drops_the_rest():
    box = live.LatestAudio()
    for k in range(1, 4):
        box.put(np.zeros(k), float(k))
    samples, now = box.take(timeout=0)
    assert len(samples) == 3 and now == 3.0 and box.dropped == 2
    assert box.take(timeout=0) is None
    box.close()
    assert box.take() is None and box.closed


def test_compare_pairs_each_final_site_with_its_live_verdict_and_final_given_follows_the_learner():
    """No model: what the app uses when it runs the final pass itself on the saved file."""
    from pathlib import Path

    from tajweed_desktop.core.checking.verses import SiteResult, VerseResult

    def site(ayah, word, outcome):
        return SiteResult(82, ayah, word, "w", "n", None, "", 1.0, 2.0, outcome)

    live_sites = (live.LiveSite(site(5, 2, "not yet"), 1.0, 1.0, "not yet"),
                  live.LiveSite(site(5, 4, "as expected"), 2.0, 2.0, "as expected"),
                  live.LiveSite(site(6, 9, "uncertain"), 3.0, 3.0, "uncertain"))
    state = live.LiveState("82:6", True, 82, 6, None, live_sites, verses=((82, 5), (82, 6)))
    final = VerseResult(Path("x.wav"), sites=(site(5, 2, "as expected"), site(5, 4, "as expected"),
                                              site(6, 3, "not recited")))
    pairs = live.compare(final, state)
    assert [(p.final.site if p.final else None, p.live.key[2] if p.live else None, p.changed) for p in pairs] == [
        (2, 2, True), (4, 4, False), (3, None, False), (None, 9, True)]
    assert live.final_given((82, 5, 5), state) == (82, 5, 6)
    assert live.final_given(None, state) is None
    assert live.final_given((82, 5, 5), live.LiveState(live.NO_RECITATION, False)) == (82, 5, 5)


def test_the_last_verse_of_a_surah_heard_for_longer_than_one_window_is_not_a_crash(models):
    """82:19 is the surah's last verse: there is no next verse to follow, so its audio grows past
    Whisper's 30 s window while the learner goes on (here: silence). Every aligned word then starts
    before the last window, and counting the words said indexed past the end (IndexError)."""
    ens, tr = models
    x = decode_bounded(need_data("reciters5", "verses", "husary", "082019.mp3"))[0]
    checker = live.LiveChecker(ens, tr, given=(82, 19, 19))
    first = checker.update(x)
    longer = np.concatenate([x, np.zeros(31 * 16000 - len(x), np.float32)])
    state = checker.update(longer)
    assert (state.surah, state.ayah) == (82, 19) and state.audio_s == pytest.approx(31.0)
    assert {s.key for s in first.sites} <= {s.key for s in state.sites}
