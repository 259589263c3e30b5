from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import pytest

from tajweed_desktop.cli import main
from tests.conftest import LABELS4, need_data


@pytest.fixture
def samples_with_corrupt(tmp_path):
    folder = tmp_path / "class"
    shutil.copytree(need_data("kaggle_samples", "train"), folder)
    (folder / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    return folder


def test_checker_end_to_end(samples_with_corrupt, tiny_bundle, tmp_path, capsys):
    out = tmp_path / "results.csv"
    code = main([str(samples_with_corrupt), "--model", str(tiny_bundle), "--device", "cpu", "--csv", str(out)])
    assert code == 1  # one file failed
    stdout = capsys.readouterr().out
    assert any("corrupt.wav" in line and "ERROR" in line for line in stdout.splitlines())
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["file", "predicted_rule", "confidence", "uncertain", *[f"p_{x}" for x in LABELS4], "error"]
    names = [r[0].rsplit("/", 1)[-1] for r in rows[1:]]
    assert names == ["1.wav", "2.wav", "3.wav", "10.wav", "corrupt.wav"]  # recursive, in natural order (as the app shows them)
    for r in (rows[1], rows[2], rows[4]):
        assert r[1] in LABELS4 and r[-1] == ""
        assert sum(float(p) for p in r[4:8]) == pytest.approx(1.0, abs=1e-3)
        assert float(r[2]) == max(float(p) for p in r[4:8])
    quiet = rows[3]  # the Kaggle copy of 3.wav holds 0.2 s of sound: no rule, the reason instead
    assert quiet[1:-1] == [""] * 7 and "3.wav: no recitation heard" in quiet[-1]
    bad = rows[5]
    assert bad[1:-1] == [""] * 7 and "corrupt.wav" in bad[-1] and "not a readable audio file" in bad[-1]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_all_good_exits_zero_and_json(tiny_bundle, capsys):
    import json

    code = main([str(need_data("kaggle_samples", "train", "2.wav")), "--model", str(tiny_bundle), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["top_rule"] in LABELS4 and abs(sum(data[0]["probabilities"].values()) - 1) < 1e-6


def test_no_bundle_says_where_it_looked_and_how_to_make_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TAJWEED_MODELS_DIR", str(tmp_path / "models"))
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "models" / "tajweed4") in err and "python -m trainer" in err


def test_usage_error_exits_two():
    proc = subprocess.run([sys.executable, "-m", "tajweed_desktop.cli", "--device", "tpu", "x.wav"], capture_output=True, text=True)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
