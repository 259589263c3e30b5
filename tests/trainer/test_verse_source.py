"""The whole-verse source (trainer/verses.py) on real verses: each site aligned, cut with verse
mode's cut and labelled from the site table; the doubtful left out and counted; cached.

reciters5's verses come with QUL word onsets and with the training clips cut from them, so there
the aligner's cuts and labels are checked against an independent cut; haneef's verses (no
timings) are checked against the site table and verse mode's own cut of the same alignment."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from tajweed_desktop.core.audio.clips import cut_span
from tajweed_desktop.core.audio.decode import decode_bounded
from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.audio.recording import recording_from_array
from tajweed_desktop.core.quran import text
from tests.conftest import need_data
from trainer import verses as V
from trainer.verse_source import cut_source
from trainer.data import detect_layout, list_items, load_dataset

R5_VERSES = {"husary": ("082019", "111005", "082005"), "minshawi": ("082019", "113005")}
HANEEF = ("002010", "002005", "002022")  # 2:10 holds all four rules (Iqlab at word 9); 2:22 a word with two sites
# Aligner onsets against QUL's: median 0.11 s, 90th percentile 0.36 s on all 230 verses
# (docs/verse-mode.md), and QUL's own onsets are off by up to a few hundred ms; on these verses
# the aligner is up to 0.54 s earlier than QUL at a site word after a long vowel or ghunnah. A cut
# one word off moves an edge by a whole word (0.6-2.5 s on these site words) and to another
# word's QUL onset.
EDGE_TOLERANCE_S = 0.6


@pytest.fixture(scope="module")
def r5(tmp_path_factory):
    src = need_data("reciters5")
    root = tmp_path_factory.mktemp("r5") / "reciters5_verses"
    for reciter, names in R5_VERSES.items():
        (root / reciter).mkdir(parents=True)
        for n in names:
            shutil.copy(src / "verses" / reciter / f"{n}.mp3", root / reciter / f"{n}.mp3")
    cache = root.parent / "cache"
    return root, cache, load_dataset(root, show_progress=False, verse_cache=cache)


@pytest.fixture(scope="module")
def haneef(tmp_path_factory):
    src = need_data("haneef")
    root = tmp_path_factory.mktemp("hv") / "haneef"
    (root / "verses").mkdir(parents=True)
    for n in HANEEF:
        shutil.copy(src / "verses" / f"{n}.opus", root / "verses" / f"{n}.opus")
    # 2:5 said to be 2:12: the aligner forces 2:12's words onto it, and its site must be left out
    shutil.copy(src / "verses" / "002005.opus", root / "verses" / "002012.opus")
    cache = root.parent / "cache"
    return root, cache


def test_reciters5_cuts_match_the_training_cut_from_qul_and_its_labels(r5):
    root, cache, ds = r5
    data = need_data("reciters5")
    assert detect_layout(root) == "verses" and ds.layout == "verses"
    assert set(ds.groups) == {"husary", "minshawi"}
    train = {(r["sheikh_name"], int(r["surah"]), int(r["ayah"]), int(r["word"])): r
             for r in csv.DictReader(open(data / "train.csv", encoding="utf-8"))}
    qul: dict = {}
    for r in csv.DictReader(open(data / "word_timings.csv", encoding="utf-8")):
        qul.setdefault((r["reciter"], int(r["surah"]), int(r["ayah"])), {})[int(r["word"])] = int(r["start_ms"]) / 1000
    src = cut_source(root, cache, progress=False)
    assert src.aligned == 0  # the dataset's load aligned them; this one read the cache
    # 82:19's word 6 ends at a pause mark (reciters5 has no clip of it): both reciters stop there
    stops = {(s["voice"], s["word"]) for s in src.sites if s["reason"] == "pause at the junction" and s["ayah"] == 19}
    assert {("husary", 6), ("minshawi", 6)} <= stops
    kept = [s for s in src.kept if (s["voice"], s["surah"], s["ayah"], s["word"]) in train]
    assert len(kept) >= 8
    right = edges = 0
    for s in kept:
        t = train[(s["voice"], s["surah"], s["ayah"], s["word"])]
        assert s["label"] == t["label_name"], s  # the label is the data set's, for every site
        q = qul[(s["voice"], s["surah"], s["ayah"])]
        nxt = int(t["next_word"])
        # each edge of the cut sits at the word QUL puts nearest to it: the cut is not a word off
        for onset, word in ((s["onset"], s["word"]), (s["next_onset"], nxt + 1)):
            if onset is None:  # to the end of the recording, as the training clip was cut
                assert nxt + 1 not in q
                continue
            assert abs(onset - q[word]) <= EDGE_TOLERANCE_S, (s, word, q)
            right += min(q, key=lambda k: abs(q[k] - onset)) == word
            edges += 1
    assert right == edges, (right, edges)
    # every site of these verses is either kept or left out with a reason: none silently dropped
    n_sites = sum(len(text.sites(int(n[:3]), int(n[3:]))) for names in R5_VERSES.values() for n in names)
    assert len(src.sites) == n_sites


def test_reciters5_clip_is_verse_modes_cut_of_the_alignment_and_loads_as_the_checker_prepares_it(r5):
    root, cache, ds = r5
    src = cut_source(root, cache, progress=False)
    s = next(s for s in src.kept if s["voice"] == "husary" and (s["surah"], s["ayah"]) == (82, 19))
    raw, _, _ = decode_bounded(root / "husary" / "082019.mp3")
    clip, a, b = cut_span(raw, s["onset"], s["next_onset"])
    i = next(i for i, it in enumerate(ds.items) if it.path == s["path"])
    import soundfile as sf

    stored, rate = sf.read(s["path"], dtype="float32")
    assert rate == SAMPLE_RATE and np.array_equal(stored, clip) and (a, b) == pytest.approx((s["start"], s["end"]), abs=1e-3)
    assert np.array_equal(ds.recordings[i].samples, recording_from_array(clip, SAMPLE_RATE).samples)


def test_haneef_verses_labelled_from_the_site_table_doubtful_left_out_and_cached(haneef):
    root, cache = haneef
    assert detect_layout(root) == "verses"
    listed = list_items([root])  # before any alignment: every site of the named verses
    assert len(listed) == sum(len(text.sites(2, a)) for a in (10, 5, 22, 12))
    ds = load_dataset(root, show_progress=False, verse_cache=cache)
    assert set(ds.groups) == {"haneef"} and ds.notes and "left out" in ds.notes[0]
    got = {(it.rel, it.label) for it in ds.items}
    want = {(f"verses/{n}.opus#{V.site_id(s)}", s.rule4.capitalize()) for n in HANEEF
            for s in text.sites(int(n[:3]), int(n[3:]))}
    assert got == want  # every true site kept, each with its rule; the misnamed verse's none
    assert ("verses/002010.opus#w009", "Iqlab") in got
    # أَندَادࣰا (2:22 word 21): its noon before the dal (Ikhfa, inside the word) and its tanween (Idgham
    # with the next word) are two clips, cut to the next word's onset and to the one after it
    inner, tanween = (next(i for i, it in enumerate(ds.items) if it.rel == f"verses/002022.opus#{k}") for k in ("w021-in", "w021"))
    assert (ds.items[inner].label, ds.items[tanween].label) == ("Ikhfa", "Idgham")
    assert ds.items[inner].path != ds.items[tanween].path
    assert ds.items[inner].span[2] < ds.items[tanween].span[2] and ds.items[inner].span[1] == ds.items[tanween].span[1]
    src = cut_source(root, cache, progress=False)
    assert src.aligned == 0 and src.left_out() == {"low alignment score": 1}
    [bad] = [s for s in src.sites if s["reason"]]
    assert bad["verse"] == "verses/002012.opus" and bad["path"] is None
    # the sites of 2:5 (words 3 and 4) overlap: the split keeps them in one fold
    groups = dict(zip((it.rel for it in ds.items), ds.shared_audio()))
    assert groups["verses/002005.opus#w003"] == groups["verses/002005.opus#w004"]
    assert groups["verses/002005.opus#w003"] != groups["verses/002010.opus#w003"]
    again = load_dataset(root, show_progress=False, verse_cache=cache)
    assert again.fingerprint() == ds.fingerprint()


def test_doubt_reasons():
    from types import SimpleNamespace as NS

    ok = NS(outcome="", onset=1.0, junction=1.5, next_onset=2.2, end=2.3, start=0.9)
    assert V.doubt(ok, 0.1) == ""
    assert V.doubt(ok, V.MIN_VERSE_SCORE / 2) == "low alignment score"
    assert V.doubt(NS(**{**ok.__dict__, "junction": 1.05}), 0.1) == "short word"
    assert V.doubt(NS(**{**ok.__dict__, "next_onset": 1.55}), 0.1) == "short word"
    assert V.doubt(NS(**{**ok.__dict__, "outcome": "stopped"}), 0.1) == "pause at the junction"
    assert V.doubt(NS(**{**ok.__dict__, "outcome": "not recited"}), 0.1) == "not recited"
    inside = NS(outcome="", onset=1.0, junction=None, next_onset=1.6, end=1.7, start=0.9)
    assert V.word_seconds(inside) == (pytest.approx(0.6), None) and V.doubt(inside, 0.1) == ""


def test_cut_command_refuses_a_folder_that_is_not_whole_verses(tmp_path, capsys):
    from trainer.cli import main

    (tmp_path / "rules" / "ikhfa").mkdir(parents=True)
    (tmp_path / "rules" / "ikhfa" / "tes 1.wav").write_bytes(b"")
    assert main(["cut", "--data", str(tmp_path / "rules")]) == 2
    err = capsys.readouterr().err
    assert "not a folder of whole verses" in err and len(err.strip().splitlines()) == 1


def test_word_contexts_number_words_as_the_site_table_does():
    """trainer/words.py once counted the hizb mark opening 5:82, 5:97 and 5:109 as a word, so the
    contexts of their sites (279 of haneef's) fell back to the tokens: every site's word must be found."""
    from trainer.words import normalise, verse_words

    missing = [(s.surah, s.ayah, s.word) for surah in range(1, 115) for ayah in range(1, text.verse_count(surah) + 1)
               for s in text.sites(surah, ayah)
               if not (s.word <= len(verse_words(surah, ayah))
                       and normalise(verse_words(surah, ayah)[s.word - 1]) == normalise(s.token))]
    assert missing == []
