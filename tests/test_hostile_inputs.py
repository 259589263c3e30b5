"""The hostile corpus (tests/hostile_corpus.py) through the checker, the batch core and the
trainer's loader: a result or one clear message naming the file, and the others go on."""

from __future__ import annotations

import csv
import os
import resource
import shutil

import pytest

from tajweed_desktop.cli import main
from tajweed_desktop.core.checking.batch import check_files
from tajweed_desktop.core.model.ensemble import Ensemble
from tajweed_desktop.core.audio.files import find_audio_files
from tests.conftest import need_data
from tests.hostile_corpus import add_special_files, make_corpus, make_hour_long


def check(expect: dict[str, str], name: str, result_error: str | None, path_text: str) -> None:
    want = expect[name]
    if want == "ok":
        assert not result_error, f"{name}: {result_error}"
    else:
        assert result_error and want in result_error and name in result_error, f"{name}: {result_error!r}"
    assert name in path_text


def test_checker_on_the_hostile_corpus(tmp_path, tiny_bundle):
    expect = make_corpus(tmp_path / "h")
    out = tmp_path / "r.csv"
    assert main([str(tmp_path / "h"), "--model", str(tiny_bundle), "--csv", str(out)]) == 1
    rows = {os.path.basename(r[0]): r for r in csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()[1:])}
    assert sorted(rows) == sorted(expect)  # one row per file; the folder x.wav and the loop give none
    for name, row in rows.items():
        check(expect, name, row[-1], row[0])
        assert bool(row[1]) == (expect[name] == "ok")


def test_an_hour_long_recording_is_refused_before_it_is_decoded(tmp_path, tiny_bundle, capsys):
    hour = tmp_path / "hour long.wav"
    make_hour_long(hour)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert main([str(hour), "--model", str(tiny_bundle)]) == 1
    assert "hour long.wav: too long to load at once (60 min; the limit is 20 min)" in capsys.readouterr().out
    # decoding it would have taken 230 MB of float32; the peak did not move by a fraction of that
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


def test_a_file_named_on_the_command_line_that_does_not_exist(tmp_path, tiny_bundle, capsys):
    gone = tmp_path / "gone.wav"
    assert main([str(gone), "--model", str(tiny_bundle)]) == 1
    assert "gone.wav: not a readable audio file (file not found)" in capsys.readouterr().out


def test_a_file_that_disappears_between_listing_and_reading(tmp_path, tiny_bundle):
    expect = make_corpus(tmp_path / "h")
    files = find_audio_files([tmp_path / "h"])
    (tmp_path / "h" / "good tone.wav").unlink()
    ens = Ensemble.from_path(tiny_bundle, device="cpu")
    results = {r.path.name: r for r in check_files(ens, files)}
    ens.close()
    assert "file not found" in results["good tone.wav"].error
    assert len(results) == len(expect) and results["six channels.wav"].ok


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission; run as a user to test this")
def test_a_file_without_read_permission(tmp_path, tiny_bundle, capsys):
    make_corpus(tmp_path / "h")
    locked = tmp_path / "h" / "good tone.wav"
    locked.chmod(0)
    try:
        assert main([str(tmp_path / "h"), "--model", str(tiny_bundle)]) == 1
    finally:
        locked.chmod(0o644)
    assert "good tone.wav: not a readable audio file (permission denied)" in capsys.readouterr().out


def test_trainer_reports_and_leaves_out_every_bad_file(tmp_path):
    from trainer.data import load_dataset

    root = tmp_path / "teacher"
    expect = make_corpus(root / "ikhfa", special=False)
    shutil.rmtree(root / "ikhfa" / "x.wav")
    (root / "ikhfa" / "loop").unlink()
    # the second rule gets the bad files only (the same good audio under two rules would be left
    # out as contradictory labels) and one real recording of its own
    shutil.copytree(root / "ikhfa", root / "izhar", ignore=lambda d, names: [n for n in names if expect.get(n) == "ok"])
    shutil.copy(need_data("tajweed4", "train", "131.wav"), root / "izhar" / "real.wav")
    for rule in ("ikhfa", "izhar"):
        expect.update(add_special_files(root / rule))
    ds = load_dataset(root, show_progress=False)
    kept = sorted(it.path.name for it in ds.items)
    assert kept == sorted([n for n, w in expect.items() if w == "ok"] + ["real.wav"])
    skipped = {(p.parent.name, p.name): msg for p, msg in ds.skipped}
    assert len(skipped) == 2 * sum(w != "ok" for w in expect.values())
    for (rule, name), msg in skipped.items():
        check(expect, name, msg, msg)


def test_special_files_named_directly_get_a_message_and_the_run_ends(tmp_path, tiny_bundle, capsys):
    """A pipe named on the command line would make open() wait for a writer forever."""
    specials = add_special_files(tmp_path)
    assert main([str(tmp_path / name) for name in specials] + ["--model", str(tiny_bundle)]) == 1
    out = capsys.readouterr().out
    for name, words in specials.items():
        assert f"{name}: {words}" in out


def test_a_read_that_stalls_is_given_up_with_a_message(tmp_path, tiny_bundle, monkeypatch, capsys):
    """A hung network mount: the file opens, then no data comes. Simulated, as no test
    machine has such a mount: the decoder's block reader waits until the test ends."""
    import threading

    import soundfile as sf

    from tajweed_desktop.core.audio import decode
    from tests.conftest import voice

    for name in ("a stalled.wav", "b fine.wav"):
        sf.write(tmp_path / name, voice(2.0), 16000)
    release = threading.Event()
    real = sf.SoundFile

    class Stalling(real):
        def read(self, *args, **kwargs):
            if "stalled" in self.name:  # the first block never arrives
                release.wait(60)
            return super().read(*args, **kwargs)

    monkeypatch.setattr(decode.sf, "SoundFile", Stalling)
    monkeypatch.setattr(decode, "READ_STALL_SECONDS", 1.0)
    try:
        assert main([str(tmp_path), "--model", str(tiny_bundle)]) == 1
    finally:
        release.set()
    out = capsys.readouterr().out
    assert "a stalled.wav: not a readable audio file (reading stalled: no data for 1 s)" in out
    assert "b fine.wav" in out and "b fine.wav: " not in out.split("a stalled.wav")[0]
