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


def verses_fed(reciter: str, *names: str, gap_s: float = 0.4, tail_s: float = 0.0) -> np.ndarray:
    """Verse recordings one after another with a breath between them, as a learner recites them."""
    parts = []
    for name in names:
        parts += [decode_bounded(need_data("reciters5", "verses", reciter, name))[0], np.zeros(int(gap_s * 16000), np.float32)]
    return np.concatenate(parts + [np.zeros(int(tail_s * 16000), np.float32)])


def test_the_transcript_past_what_the_expected_text_explains_is_counted():
    """No model: `explained` aligns a transcript (Whisper's slips and all) to the text expected."""
    from tajweed_desktop.core.quran.words import letter_count, verse_words

    v5, v6, v10 = (" ".join(verse_words(82, a)) for a in (5, 6, 10))
    expected = f"{v5} {v6}"
    slips = "علمت نفسم ما قدامه واخصرت"  # 82:5 as Whisper heard it (husary, live)
    i, j = live.explained(slips, expected)
    assert i == letter_count(slips) and letter_count(v5) - 2 <= j <= letter_count(v5) + 1
    jumped = slips + " وان عليكم لحافظين"  # ... then 82:10, which is not the next verse
    i, j = live.explained(jumped, expected)
    assert letter_count(jumped) - i >= live.REIDENTIFY_LETTERS  # the other verse is left unexplained
    assert j <= letter_count(v5) + 2
    went_on = slips + " يا ايها الانسان ما غرك"  # ... then the next verse: explained
    i, j = live.explained(went_on, expected)
    assert letter_count(went_on) - i <= 2
    assert live.explained("", expected) == (0, 0)
    # a transcript of the last window only (past 30 s) matches from anywhere in the text
    assert live.explained(v10, f"{v5} {v6} {v10}", free_start=True)[0] == letter_count(v10)


def test_final_given_leaves_the_verses_to_the_audio_when_the_learner_went_elsewhere():
    state = live.LiveState("82:10", True, 82, 10, None, (), verses=((82, 5), (82, 10)))
    assert live.final_given((82, 5, 5), state) is None
    again = live.LiveState("82:5", True, 82, 5, None, (), verses=((82, 5), (82, 5)))
    assert live.final_given((82, 5, 5), again) is None
    other_surah = live.LiveState("109:1", True, 109, 1, None, (), verses=((82, 19), (109, 1)))
    assert live.final_given((82, 19, 19), other_surah) is None


def followed(models, reciter: str, first: str, then: str, tail_s: float) -> list:
    """The live states of two verses of one reciter recited one after the other, fed in 0.5 s blocks."""
    ens, tr = models
    return feed(live.LiveChecker(ens, tr), verses_fed(reciter, first, then, tail_s=tail_s), 0.5)


def test_a_learner_who_jumps_to_another_verse_is_followed_there(models):
    """husary recites 82:5, then 82:10 (not the next verse). The old checker stayed on 82:5 and,
    aligning 82:6 to the audio of 82:10, judged 82:6's site (word 2) on it; now the audio after
    82:5 is identified again and the learner is followed to 82:10, and nothing of 82:6 is judged."""
    states = followed(models, "husary", "082005.mp3", "082010.mp3", tail_s=2.0)
    last = states[-1]
    assert last.verses == ((82, 5), (82, 10)), [s.verses for s in states[-3:]]
    assert (last.surah, last.ayah) == (82, 10)
    keys = {s.key for s in last.sites}
    assert (82, 5, 2) in keys and not any(k[1] == 6 for k in keys), keys
    assert last.segment_s < 12.0  # the work looks at 82:10's audio, not the whole recording


def test_after_the_last_verse_of_a_surah_the_next_surah_recited_is_found(models):
    """maher recites 82:19, the surah's last verse, then 109:1. The old checker had no next verse
    to follow and stayed on 82:19 while its audio grew with the recording."""
    states = followed(models, "maher", "082019.mp3", "109001.mp3", tail_s=3.0)
    last = states[-1]
    assert last.verses == ((82, 19), (109, 1)), [s.verses for s in states[-3:]]
    assert {s.key[:2] for s in last.sites} <= {(82, 19), (109, 1)}


def test_a_surahs_last_verse_recited_to_its_end_is_left_for_what_follows(models):
    """husary (slower than maher) recites 82:19, then 109:1 and 109:2. 82:19 has no next verse, so
    once all of it is explained and the transcript goes on, the audio after it is found afresh.
    The old checker looked for 109 in the tail while keeping 82:19: it was still on 82:19 after
    109:2, looking at 26 s and more of audio (and 56 s before it found 109:5 in
    test_live_long)."""
    ens, tr = models
    states = feed(live.LiveChecker(ens, tr), verses_fed("husary", "082019.mp3", "109001.mp3", "109002.mp3", tail_s=2.0), 1.0)
    assert states[-1].surah == 109, [s.status for s in states[-5:]]
    assert states[-1].verses[0] == (82, 19)
    assert max(s.segment_s for s in states) < 25.0, max(s.segment_s for s in states)


def test_a_learner_who_waits_before_reciting_is_found(models):
    """35 s of silence, then 113:5: identification looks from the first sound on (the old checker
    transcribed the first 30 s of the recording, all silence, and never found the verse)."""
    ens, tr = models
    verse = decode_bounded(need_data("reciters5", "verses", "maher", "113005.mp3"))[0]
    x = np.concatenate([np.zeros(35 * 16000, np.float32), verse, np.zeros(16000, np.float32)])
    checker = live.LiveChecker(ens, tr)
    step = 16000 // 2
    states = [checker.update(x[:k]) for k in range(34 * 16000, len(x) + step, step)]
    assert (states[-1].surah, states[-1].ayah) == (113, 5), states[-1].status
    assert states[-1].segment_s < len(verse) / 16000 + 2.0


def test_audio_that_outgrows_the_verse_in_one_update_is_not_all_aligned_to_it(models):
    """On a busy CPU updates come seconds apart: after 113:5 (the surah's last verse) the next
    update holds 40 s more of other verses. More sound than 113:5 could take: the verse is given
    up and only the latest audio is looked at (the old checker aligned 113:5 to all of it, and the
    audio per update grew with the recording)."""
    ens, tr = models
    verse = decode_bounded(need_data("reciters5", "verses", "maher", "113005.mp3"))[0]
    more = verses_fed("maher", *[f"0820{a:02d}.mp3" for a in range(1, 11)])
    checker = live.LiveChecker(ens, tr, given=(113, 5, 5))
    first = checker.update(verse)
    assert (first.surah, first.ayah) == (113, 5)
    state = checker.update(np.concatenate([verse, more[: 40 * 16000]]))
    assert state.ayah != 5 or state.surah != 113, state.status
    assert state.segment_s <= live.IDENTIFY_MAX_SECONDS
