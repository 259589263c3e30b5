"""`tajweed-check --verses`: the site rows, usage errors, bad input."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile as sf

from tajweed_desktop.cli import main
from tajweed_desktop.core.checking.verses import COLUMNS
from tests.conftest import need_data, tone


@pytest.mark.parametrize("spec", ["115:1", "2:0"])
def test_a_verse_that_does_not_exist_exits_2_with_one_line(spec, capsys, tmp_path):
    assert main(["--verses", str(tmp_path), "--verse", spec]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and spec in err


def test_verse_needs_verses(capsys, tmp_path):
    assert main([str(tmp_path), "--verse", "82:5"]) == 2


def test_site_rows_for_a_real_verse_and_an_error_row_for_a_tone(tmp_path, capsys):
    mp3 = need_data("reciters5", "verses", "husary", "082005.mp3")
    beep = tmp_path / "beep.wav"
    sf.write(beep, tone(seconds=3.0), 16000)
    out = tmp_path / "sites.csv"
    code = main(["--verses", str(mp3), str(beep), "--csv", str(out)])
    assert code == 1  # the tone failed, the verse was checked
    with open(out, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == COLUMNS
    verse = [r for r in rows if r["file"] == str(mp3)]
    assert len(verse) == 1  # 82:5 has one site: word 2, Idgham
    r = verse[0]
    assert (r["surah"], r["ayah"], r["site"], r["expected"]) == ("82", "5", "2", "Idgham")
    assert r["outcome"] in ("as expected", "not yet", "uncertain") and r["error"] == ""
    assert 0.5 < float(r["start_s"]) < float(r["end_s"]) < 6
    bad = [r for r in rows if r["file"] == str(beep)]
    assert len(bad) == 1 and "beep.wav" in bad[0]["error"] and bad[0]["site"] == ""


def test_a_verse_cut_off_lists_the_sites_not_heard(tmp_path):
    from tajweed_desktop.core.audio.decode import decode_bounded

    x = decode_bounded(need_data("reciters5", "verses", "husary", "082019.mp3"))[0]  # sites at words 4, 5 and 8 of 9
    cut = tmp_path / "082019.wav"
    sf.write(cut, x[: int(0.5 * len(x))].astype(np.float32), 16000)
    out = tmp_path / "s.csv"
    main(["--verses", str(cut), "--csv", str(out)])
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["outcome"] for r in rows][-1] == "not recited"
    assert rows[0]["outcome"] != "not recited"


def test_recitation_that_language_detection_calls_another_language_is_still_checked(capsys):
    """Whisper base hears Abdul Basit's 82:11 as Tamil (Arabic 9%): the verse it matches decides."""
    mp3 = need_data("reciters5", "verses", "abdul_basit", "082011.mp3")
    assert main(["--verses", str(mp3)]) == 0
    out = capsys.readouterr().out
    assert "82:11" in out and "not Quran recitation" not in out


def test_simulate_live_needs_verses_one_line(capsys, tmp_path):
    assert main([str(tmp_path), "--simulate-live"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--simulate-live" in err


def test_simulate_live_writes_the_site_rows_with_delay_and_live_verdict(tmp_path):
    from tajweed_desktop.core.checking.live import LIVE_COLUMNS

    mp3 = need_data("reciters5", "verses", "shuraim", "109003.mp3")  # 2.6 s, one site: word 2, Ikhfa
    out = tmp_path / "live.csv"
    assert main(["--verses", "--simulate-live", str(mp3), "--csv", str(out)]) == 0
    with open(out, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == LIVE_COLUMNS and LIVE_COLUMNS[: len(COLUMNS)] == COLUMNS
    assert len(rows) == 1
    r = rows[0]
    assert (r["surah"], r["ayah"], r["site"], r["expected"]) == ("109", "3", "2", "Ikhfa")
    assert r["live_heard"] in ("as expected", "not yet", "uncertain", "stopped")
    assert -1.0 < float(r["delay_s"]) < 10.0
