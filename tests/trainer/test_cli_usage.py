"""Every trainer usage error: one line naming the argument and the valid choices, exit 2,
before any audio is decoded."""

from __future__ import annotations

import subprocess
import sys

import pytest
import soundfile

from tests.conftest import REPO, need_data
from trainer.cli import main


@pytest.fixture
def no_decoding(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("audio was decoded before the arguments were checked")

    # libsndfile itself: every decoder path (the core's and any direct read) goes through these
    for name in ("SoundFile", "read", "info"):
        monkeypatch.setattr(soundfile, name, refuse)


@pytest.mark.parametrize("args, message", [
    (["--recipe", "nonesuch"], "unknown --recipe 'nonesuch'; choose one of default, frames, frames_plain, frames_plain_pad40, frames_plain_pad45, frames_plain_pad50, notebook, robust, robust_tilt"),
    (["--split", "bytime"], "unknown --split 'bytime'; choose one of stratified, grouped, voices, words, holdout:<reciter>"),
    (["--split", "holdout:nobody"], "no reciter 'nobody' in this data; reciters: src1_unknown, src2_unknown"),
    (["--folds", "1"], "--folds must be at least 2"),
    (["--epochs", "0"], "--epochs must be at least 1, not 0"),
    (["--folds", "2", "--fold", "5"], "--fold must be between 1 and 2 for this split, not 5"),
    (["--split", "voices", "--fold", "3"], "--fold must be between 1 and 2 for this split, not 3"),
    (["--split", "words"], "--split words needs data that names the words recited"),
    (["--calibrate-on", "/nonexistent"], "--calibrate-on /nonexistent: no finished run there"),
])
def test_bad_arguments_exit_2_with_one_line_before_decoding(args, message, no_decoding, tmp_path, capsys):
    data = need_data("tajweed4")
    code = main(["--data", str(data), "--run-dir", str(tmp_path / "run"), "--no-progress", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "run").exists()


def test_help_shows_the_training_options_and_every_recipe():
    out = subprocess.run([sys.executable, "-m", "trainer", "--help"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0
    for word in ("--recipe", "--split", "--folds", "--calibrate-on", "frames", "notebook", "robust_tilt", "resume"):
        assert word in out.stdout, word


def test_resume_says_what_it_resumes(tmp_path, capsys):
    assert main(["resume", str(tmp_path)]) == 2
    assert "not a training run folder" in capsys.readouterr().err
