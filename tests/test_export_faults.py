"""Exports to places that cannot take them: a clear message, and no partial file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from tajweed_desktop.cli import main
from tests.conftest import READ_ONLY, disk_fills_halfway, voice


@pytest.fixture
def clip(tmp_path) -> Path:
    sf.write(tmp_path / "a.wav", voice(2.0), 16000)
    return tmp_path / "a.wav"


def test_checker_export_to_a_full_disk_leaves_the_old_file_whole(clip, tmp_path, tiny_bundle, monkeypatch, capsys):
    out = tmp_path / "out" / "results.csv"
    out.parent.mkdir()
    out.write_text("yesterday's export\n")
    disk_fills_halfway(monkeypatch)
    assert main([str(clip), "--model", str(tiny_bundle), "--csv", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {out}: No space left on device" in err
    assert out.read_text() == "yesterday's export\n"
    assert [p.name for p in out.parent.iterdir()] == ["results.csv"]  # no .part file left


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="no /sys here (not Linux)")
def test_checker_export_to_a_read_only_place_says_so(clip, tiny_bundle, capsys):
    assert main([str(clip), "--model", str(tiny_bundle), "--csv", str(READ_ONLY)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {READ_ONLY}" in err and "ermission denied" in err
    assert not READ_ONLY.exists()

