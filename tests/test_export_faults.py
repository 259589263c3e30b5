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


@pytest.fixture
def umask():
    """Set the process umask for one test, and put the old one back."""
    import os

    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_exports_get_the_usual_permissions(clip, tmp_path, tiny_bundle, umask, mask, mode):
    """A CSV export is readable as any file the user creates (umask), not 0600 as a temp file is."""
    umask(mask)
    out = tmp_path / "results.csv"
    assert main([str(clip), "--model", str(tiny_bundle), "--csv", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == mode


def test_a_re_export_keeps_the_mode_the_user_gave_the_file(tmp_path, umask):
    from tajweed_desktop.core.common.atomic import atomic_directory, atomic_write_text

    umask(0o022)
    out = tmp_path / "results.csv"
    atomic_write_text(out, "first\n")
    out.chmod(0o640)
    atomic_write_text(out, "second\n")
    assert out.read_text() == "second\n" and out.stat().st_mode & 0o777 == 0o640
    with atomic_directory(tmp_path / "bundle") as d:
        (d / "model.json").write_text("{}")
    assert (tmp_path / "bundle").stat().st_mode & 0o777 == 0o755
