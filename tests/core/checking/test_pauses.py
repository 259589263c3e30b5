"""`longest_pause`, which makes a site `stopped` (no rule applies): silence at a word junction is
what the voice detector does not call speech, or sound far below the speech level; quiet voiced
sound (a nasal, a soft consonant) is not a pause. Real verses with QUL's word onsets."""

from __future__ import annotations

import csv

import pytest

from tests.conftest import need_data


def qul_onsets(reciter: str, surah: int, ayah: int) -> dict[int, float]:
    with open(need_data("reciters5", "word_timings.csv"), encoding="utf-8") as f:
        return {int(r["word"]): int(r["start_ms"]) / 1000 for r in csv.DictReader(f)
                if (r["reciter"], int(r["surah"]), int(r["ayah"])) == (reciter, surah, ayah)}


@pytest.fixture(scope="module")
def husary_82_19():
    from tajweed_desktop.core.audio.recording import load_recording

    return load_recording(need_data("reciters5", "verses", "husary", "082019.mp3"))


def test_quiet_voiced_sound_at_a_junction_is_not_a_pause(husary_82_19):
    from tajweed_desktop.core.checking.verses import STOP_SECONDS, longest_pause

    # نَفۡسࣱ لِّنَفۡسࣲ: 0.28 s at 3.66-3.94 s is voiced but 18-26 dB below the speech level; judged
    # as "not active" sound it made the site (and two more of the verse's four) "stopped"
    assert not husary_82_19.active[int(3.66 / 0.02):int(3.94 / 0.02)].any()
    assert longest_pause(husary_82_19, 3.55, 4.2) < STOP_SECONDS


def test_the_pause_a_reciter_makes_is_found_where_qul_puts_the_junction(husary_82_19):
    from tajweed_desktop.core.checking.verses import STOP_SECONDS, longest_pause

    q = qul_onsets("husary", 82, 19)
    # شَيۡـࣰٔا ۖ وَٱلۡأَمۡرُ: the reciter stops after word 6; between words 4 and 5 he does not
    assert longest_pause(husary_82_19, (q[6] + q[7]) / 2, q[7] + 0.1) >= STOP_SECONDS
    assert longest_pause(husary_82_19, (q[4] + q[5]) / 2, q[5] + 0.1) < STOP_SECONDS
