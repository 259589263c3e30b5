"""The checker on a folder of hostile inputs: one row each, a clear message, and it keeps going."""

from __future__ import annotations

import csv
import os

import numpy as np
import soundfile as sf

from tajweed_desktop.cli import main
from tests.conftest import tone


def test_hostile_folder(tmp_path, tiny_bundle):
    d = tmp_path / "hostile"
    d.mkdir()
    sf.write(d / "good tone.wav", tone(220, 2.0), 16000)
    full = (d / "good tone.wav").read_bytes()
    (d / "truncated header.wav").write_bytes(full[:30])
    (d / "promises more.wav").write_bytes(full[: len(full) // 2])  # header says 2 s, holds 1 s
    (d / "notes.mp3").write_text("this is a text file\n")
    (d / "x.wav").mkdir()  # a folder with an audio name is searched, not read
    sf.write(d / "تلاوة 🎙.wav", tone(300, 1.5), 16000)
    sf.write(d / "clipped.wav", np.clip(tone(200, 2.0, amp=3.0), -1, 1), 16000)
    sf.write(d / "hires.wav", tone(200, 1.0, rate=96000), 96000, subtype="PCM_24")
    sf.write(d / "inf.wav", np.full(8000, np.inf, np.float32), 16000, subtype="FLOAT")
    os.symlink(d, d / "loop")  # a symlink back up the tree
    out = tmp_path / "r.csv"
    assert main([str(d), "--model", str(tiny_bundle), "--csv", str(out)]) == 1
    rows = {os.path.basename(r[0]): r for r in csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()[1:])}
    assert sorted(rows) == sorted(["clipped.wav", "good tone.wav", "hires.wav", "inf.wav", "notes.mp3",
                                   "promises more.wav", "truncated header.wav", "تلاوة 🎙.wav"])
    for ok in ("good tone.wav", "promises more.wav", "تلاوة 🎙.wav", "clipped.wav", "hires.wav"):
        assert rows[ok][-1] == "" and rows[ok][1], ok
    for bad, words in (("truncated header.wav", "not a readable audio file"), ("notes.mp3", "not a readable audio file"),
                       ("inf.wav", "NaN or infinite")):
        assert words in rows[bad][-1] and bad in rows[bad][-1], bad


def test_a_file_that_vanishes_before_reading(tmp_path, tiny_bundle, capsys):
    gone = tmp_path / "gone.wav"
    assert main([str(gone), "--model", str(tiny_bundle)]) == 1
    assert "gone.wav: not a readable audio file (file not found)" in capsys.readouterr().out
