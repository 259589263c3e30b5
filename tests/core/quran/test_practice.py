"""Practice mode's core: the shipped Quran text and sites, the answers, expected rules from CSV,
and the chunked analysis that gives the app progress and cancel."""

from __future__ import annotations

import numpy as np
import pytest

from tajweed_desktop.core.model.ensemble import Prediction
from tajweed_desktop.core.quran import text as quran
from tajweed_desktop.core.quran.practice import (
    expected_for,
    outcome,
    percent,
    practice_answer,
    read_expected_csv,
    resolve_rule,
    tally,
)
from tests.conftest import DATA, LABELS4


def pred(top: str, p: float, uncertain: bool = False) -> Prediction:
    probs = np.full(4, (1 - p) / 3)
    probs[LABELS4.index(top)] = p
    return Prediction(tuple(LABELS4), probs, np.zeros(4), (top,) * 5, 2.0, ("low confidence",) if uncertain else ())


def test_the_shipped_text_has_every_verse_and_every_site_sits_in_its_verse():
    assert sum(quran.verse_count(s) for s in range(1, 115)) == 6236
    assert quran.verse_text(1, 1).startswith("بِسۡمِ")
    n = 0
    for surah in range(1, 115):
        for ayah in range(1, quran.verse_count(surah) + 1):
            for site in quran.sites(surah, ayah):
                assert site.token in quran.verse_text(surah, ayah)
                n += 1
    assert n == 13965  # the 13,963 sites and the two saktah places


def test_the_shipped_files_match_the_shared_data_when_it_is_there():
    src = DATA / "quran_text" / "quran-uthmani.txt"
    if not src.exists():
        pytest.skip("no shared data")
    assert (quran.DATA / "quran-uthmani.txt").read_bytes() == src.read_bytes()


def test_expected_labels_for_both_bundles():
    site = quran.sites(112, 4)[0]  # یَكُن لَّهُۥ
    assert quran.expected_label(site, LABELS4) == "Idgham"
    assert quran.expected_label(site, ["idgham_bighunnah", "idgham_bilaghunnah"]) == "idgham_bilaghunnah"
    assert quran.expected_label(site, ["mad_asli"]) is None


def test_answers_judge_only_when_sure():
    assert practice_answer(pred("Ikhfa", 0.82), "Ikhfa") == "expected Ikhfa — heard Ikhfa 82.0%"
    assert practice_answer(pred("Izhar", 0.7), "Ikhfa") == "expected Ikhfa — heard Izhar 70.0%: not yet"
    unsure = practice_answer(pred("Izhar", 0.4, uncertain=True), "Ikhfa")
    assert "not yet" not in unsure and "no judgement" in unsure
    assert [outcome(pred("Ikhfa", 0.9), "Ikhfa"), outcome(pred("Izhar", 0.9), "Ikhfa"),
            outcome(pred("Ikhfa", 0.3, True), "Ikhfa")] == ["match", "not yet", "uncertain"]
    assert tally(["match", "not yet", "uncertain", None, "match"]).summary() == \
        "2 of 5 as expected, 1 not yet, 1 uncertain, 1 failed"


def test_percent_never_rounds_up_to_certainty():
    assert percent(0.9996) == "99.9%" and percent(1.0) == "100.0%" and percent(0.0004) == "0.1%"
    assert percent(0.825) in ("82.5%", "82.4%")


def test_expected_rules_from_a_csv(tmp_path):
    from pathlib import Path

    p = tmp_path / "key.csv"
    p.write_text("id,sheikh_name,label_name\n1,x,Idgham\n10,y,Izhar\n", encoding="utf-8")
    table = read_expected_csv(p)
    assert expected_for(Path("/a/train/10.wav"), table) == "Izhar" and expected_for(Path("2.wav"), table) is None
    p.write_text("\ufefffile,expected\nsub/a.wav,ikhfa\n", encoding="utf-8")
    assert read_expected_csv(p) == {"sub/a.wav": "ikhfa"}
    p.write_text("name,rule\n", encoding="utf-8")
    with pytest.raises(ValueError):
        read_expected_csv(p)
    assert resolve_rule("ikhfa", LABELS4) == "Ikhfa" and resolve_rule("Ikhfa (concealment)", LABELS4) == "Ikhfa"
    assert resolve_rule("qalqalah", LABELS4) is None


def test_chunked_analysis_gives_the_same_verdicts_as_analyse(tiny_bundle):
    from tajweed_desktop.core.audio.recording import recording_from_array
    from tajweed_desktop.core.checking.progressive import analyse_steps
    from tajweed_desktop.core.model.ensemble import Ensemble
    from tests.conftest import voice

    e = Ensemble.from_path(tiny_bundle, device="cpu", precision="fp32")
    try:
        rec = recording_from_array(voice(9.5) * np.linspace(0.2, 1, int(9.5 * 16000), dtype=np.float32), 16000, None)
        steps = analyse_steps(e, rec, timeline=True, chunk=3)
        progress = []
        try:
            while True:
                progress.append(next(steps))
        except StopIteration as stop:
            judged = stop.value
        ref = e.analyse(rec, timeline=True)
        assert progress[0] == (0, 8) and progress[-1] == (8, 8) and len(progress) == 4
        assert np.allclose(judged.analysis.clip.probabilities, ref.clip.probabilities, atol=1e-6)
        assert [t.start for t in judged.analysis.timeline] == [t.start for t in ref.timeline]
        for a, b in zip(judged.analysis.timeline, ref.timeline):
            assert np.allclose(a.prediction.probabilities, b.prediction.probabilities, atol=1e-6)
        assert judged.clip_end - judged.clip_start == pytest.approx(4.0)
    finally:
        e.close()
    assert isinstance(rec.samples, np.ndarray)
