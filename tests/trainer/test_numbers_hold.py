"""Issue 18: words held out by what is recited, calibration taken only from a leave-one-voice-out
run of the same data and recipe, run folders that refuse to mix runs, frame-cache keys that
change with what changes the frames, and the same audio found in another encoding."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tajweed_desktop.core.audio.recording import load_recording
from tajweed_desktop.core.model import frontend
from trainer import calibration, runfolder
from trainer.cli import main
from trainer.data import list_items, load_dataset
from trainer.duplicates import fingerprint, same_audio_groups
from trainer.evaluate import training_overlap, write_training_fingerprints
from trainer.features import FrameCache, frames_key, frames_version
from trainer.folds import make_folds
from trainer.metrics import expected_calibration_error, reliability
from trainer.recipe import load_recipe
from trainer.words import spoken_context
from tests.conftest import need_data

TRAINER = Path(__file__).resolve().parents[2] / "trainer"


def test_a_repeated_phrase_is_one_word_context():
    assert spoken_context(113, 3, 1) == spoken_context(113, 4, 1) == spoken_context(113, 5, 1) == "ومن شر"
    assert spoken_context(109, 3, 2) == spoken_context(109, 5, 2) == "أنتم عبدون"
    assert spoken_context(113, 2, 1) != spoken_context(113, 3, 1)  # مِن شَرِّ without the wa
    assert spoken_context(82, 1, 3) == "انفطرت"  # the last word: the basmala before verse 1 is not counted


def test_the_words_split_holds_repeated_phrases_out_together():
    items = list_items([need_data("tajweed4"), need_data("reciters5")])
    contexts = [it.context for it in items]
    assert len({c for c in contexts if c}) == 25  # 28 places, three of them repeats
    labels = sorted({it.label for it in items})
    folds = make_folds([labels.index(it.label) for it in items], [it.group for it in items], 5, "words", 42, contexts)
    places = {"113003", "113004", "113005"}
    for tr, va in folds:
        assert not {contexts[i] for i in tr if contexts[i]} & {contexts[i] for i in va}
        scored = {re.search(r"_(\d{6})_", it.path.name).group(1) for it in (items[i] for i in va)
                  if it.context == "ومن شر"}
        assert not scored or scored == places  # all three verses scored together, or none


def voices_report(run: Path, kind: str = calibration.LEAVE_ONE_VOICE_OUT, recipe: str = "frames",
                  fingerprint: str = "f" * 64) -> Path:
    r = load_recipe(recipe).to_dict()
    m = {"labels": ["Idgham", "Ikhfa", "Iqlab", "Izhar"], "clips": 307, "command": "python -m trainer …",
         "strategy": "voices" if kind == calibration.LEAVE_ONE_VOICE_OUT else kind,
         "split": {"kind": kind, "data_fingerprint": fingerprint, "recipe": r["name"],
                   "recipe_sha256": calibration.recipe_sha256(r)},
         "calibration": {"temperature": 1.6, "threshold_all": 0.63, "target_precision": 0.9, "ece_before": 0.1,
                         "ece_after": 0.09, "per_unit": {"a": {}, "b": {}}}}
    (run / "report").mkdir(parents=True)
    (run / "report" / "metrics.json").write_text(json.dumps(m))
    return run


@pytest.mark.parametrize("kind, recipe, message", [
    ("stratified", "frames", "not a leave-one-voice-out run"),
    ("voices-incomplete", "frames", "not a leave-one-voice-out run"),
    (calibration.LEAVE_ONE_VOICE_OUT, "robust", "another recipe"),
])
def test_calibrate_on_refuses_anything_but_a_voices_run_of_this_recipe(tmp_path, capsys, kind, recipe, message):
    run = voices_report(tmp_path / "run", kind, recipe)
    code = main(["--data", str(need_data("tajweed4")), "--recipe", "frames", "--calibrate-on", str(run)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_calibrate_on_refuses_an_old_report_without_a_split_record(tmp_path, capsys):
    """A report that only says `units: voices` (as any report scoring several voices did)."""
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "metrics.json").write_text(json.dumps({"held_out_threshold": {"units": "voices"}}))
    assert main(["--data", str(need_data("tajweed4")), "--recipe", "frames", "--calibrate-on", str(tmp_path)]) == 2
    assert "not a leave-one-voice-out run" in capsys.readouterr().err


def test_calibrate_on_refuses_other_data_and_takes_its_own(tmp_path):
    run = voices_report(tmp_path / "run")
    recipe = load_recipe("frames").to_dict()
    with pytest.raises(calibration.CalibrationSourceError, match="other data"):
        calibration.from_voices_run(run, ["Idgham", "Ikhfa", "Iqlab", "Izhar"], "0" * 64, recipe)
    got = calibration.from_voices_run(run, ["Idgham", "Ikhfa", "Iqlab", "Izhar"], "f" * 64, recipe)
    assert got["calibration"]["temperature"] == 1.6 and got["uncertainty"]["min_confidence"] == 0.63
    assert got["calibration"]["fitted"]["split"] == calibration.LEAVE_ONE_VOICE_OUT


def test_a_split_scoring_several_voices_per_fold_is_not_leave_one_voice_out():
    r = load_recipe("frames").to_dict()
    assert calibration.split_record("voices", [["a"], ["b"]], "f", r, 1)["kind"] == calibration.LEAVE_ONE_VOICE_OUT
    assert calibration.split_record("voices", [["a", "b"], ["b"]], "f", r, 1)["kind"] != calibration.LEAVE_ONE_VOICE_OUT
    assert calibration.split_record("stratified", [["a"], ["b"]], "f", r, 1)["kind"] == "stratified"


def test_a_run_folder_refuses_another_recipe_and_starts_afresh_when_asked(tmp_path):
    """The issue's case: a run of 1 epoch, then `--recipe robust --epochs 3` in the same folder."""
    first = runfolder.run_record(load_recipe("frames").with_overrides(epochs=1).to_dict(), "f" * 64, "voices", 5, 42)
    runfolder.start(tmp_path, first)
    (tmp_path / "fold1").mkdir()
    (tmp_path / "fold1" / "result.json").write_text("{}")
    runfolder.start(tmp_path, first)  # the same run goes on
    other = runfolder.run_record(load_recipe("robust").with_overrides(epochs=3).to_dict(), "f" * 64, "voices", 5, 42)
    with pytest.raises(runfolder.RunFolderError, match="recipe.epochs") as info:
        runfolder.start(tmp_path, other)
    assert "\n" not in str(info.value)
    with pytest.raises(runfolder.RunFolderError, match="data_fingerprint"):
        runfolder.start(tmp_path, {**first, "data_fingerprint": "0" * 64})
    with pytest.raises(runfolder.RunFolderError, match="preparation.source_sha256"):
        runfolder.start(tmp_path, {**first, "preparation": {**first["preparation"], "source_sha256": "0"}})
    (tmp_path / "folds.json").write_text("{}")  # "fold*" finds it as well: removed once, not twice
    runfolder.start(tmp_path, other, fresh=True)
    assert not (tmp_path / "fold1").exists() and not (tmp_path / "folds.json").exists()
    assert json.loads((tmp_path / runfolder.RECORD).read_text())["recipe"]["epochs"] == 3


def test_a_folder_of_an_earlier_version_is_refused(tmp_path):
    (tmp_path / "fold1").mkdir()
    rec = runfolder.run_record(load_recipe("frames").to_dict(), "f" * 64, "voices", 5, 42)
    with pytest.raises(runfolder.RunFolderError, match="earlier version"):
        runfolder.start(tmp_path, rec)


def test_the_frame_cache_key_follows_what_changes_the_frames():
    base = frames_key()
    assert frames_key(frames_version()) == base
    v = frames_version()
    for change in ({"front_end": {**v["front_end"], "pad_seconds": 30.0}},
                   {"log_mel_source_sha256": "0" * 64},
                   {"padding_source_sha256": "0" * 64},
                   {"preparation": {**v["preparation"], "target_rms_dbfs": -23.0}}):
        assert frames_key({**v, **change}) != base
    assert frames_key(pad_seconds=frontend.PAD_SECONDS) == base
    assert frames_key(pad_seconds=4.0) != base  # a recipe's own padding has frames of its own
    assert FrameCache(pad_seconds=4.0).folder.name == frames_key(pad_seconds=4.0)
    short = runfolder.run_record(load_recipe("frames_plain_pad40").to_dict(), "f" * 64, "voices", 5, 42)
    assert short["preparation"]["frames"] == frames_key(pad_seconds=4.0)


def test_ece_and_the_reliability_bins_agree():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(4) * 0.5, 500)
    probs[:20] = [1.0, 0, 0, 0]  # a confidence of exactly 1 has a bin of its own
    y = rng.integers(0, 4, 500)
    bins = reliability(probs, y)
    assert sum(c for *_, c in bins) == 500
    assert expected_calibration_error(probs, y) == pytest.approx(sum(c / 500 * abs(a - m) for m, a, c in bins), abs=1e-6)


def _pair():
    """A tajweed4 clip (WAV) and the rules14 Opus file it was converted from, and another clip."""
    return (need_data("tajweed4", "train", "1.wav"), need_data("rules14", "idgham_bighunnah", "tes 1.opus"),
            need_data("tajweed4", "train", "2.wav"))


def test_the_same_audio_in_another_encoding_is_found():
    wav, opus, other = (load_recording(p) for p in _pair())
    fps = [fingerprint(r) for r in (wav, opus, other)]
    groups = same_audio_groups(fps)
    assert groups[0] == groups[1] != groups[2]


def test_the_split_keeps_the_same_audio_in_one_fold():
    targets = [i % 4 for i in range(40)]
    same = list(range(40))
    same[9] = same[1]  # a re-encoded copy: another file, the same audio
    for strategy in ("stratified", "voices", "words"):
        for tr, va in make_folds(targets, [f"v{i % 4}" for i in range(40)], 4, strategy, 3,
                                 [f"w{i % 8}" for i in range(40)], same):
            assert not ({1, 9} & set(va) and {1, 9} & set(tr)), strategy


def test_evaluate_counts_a_re_encoded_training_clip(tmp_path):
    wav, opus, other = _pair()
    train = tmp_path / "train" / "idgham"
    train.mkdir(parents=True)
    shutil.copy(wav, train / "a.wav")
    (tmp_path / "train" / "ikhfa").mkdir()
    shutil.copy(need_data("tajweed4", "train", "61.wav"), tmp_path / "train" / "ikhfa" / "b.wav")
    trained = load_dataset(tmp_path / "train", show_progress=False)
    bundle = tmp_path / "bundle"
    write_training_fingerprints(trained, bundle / "report")
    scored_root = tmp_path / "scored"
    (scored_root / "idgham").mkdir(parents=True)
    shutil.copy(opus, scored_root / "idgham" / "c.opus")
    shutil.copy(other, scored_root / "idgham" / "d.wav")
    (scored_root / "ikhfa").mkdir()
    shutil.copy(need_data("tajweed4", "train", "62.wav"), scored_root / "ikhfa" / "e.wav")
    scored = load_dataset(scored_root, show_progress=False)
    td = {"clip_sha256_prefixes": sorted(h[:16] for h in trained.content_hashes())}
    assert training_overlap(td, scored) == 0  # by bytes: none
    assert training_overlap(td, scored, bundle) == 1  # by fingerprint: the Opus original of a.wav


def test_audio_labelled_with_two_rules_is_left_out(tmp_path):
    src = need_data("rules14")
    for rule, name in (("izhar", "tes 14.opus"), ("mad_asli", "tes 30.opus"), ("izhar", "tes 1.opus"),
                       ("mad_asli", "tes 1.opus")):
        (tmp_path / rule).mkdir(exist_ok=True)
        shutil.copy(src / rule / name, tmp_path / rule / name)
    ds = load_dataset(tmp_path, show_progress=False)
    assert sorted(str(it.path.relative_to(tmp_path)) for it in ds.items) == ["izhar/tes 1.opus", "mad_asli/tes 1.opus"]
    reasons = [e for _, e in ds.skipped]
    assert len(reasons) == 2 and all("labelled" in e and "every copy left out" in e for e in reasons)


def test_no_trainer_file_is_over_300_lines_and_none_takes_devices_from_inference():
    for path in TRAINER.glob("*.py"):
        text = path.read_text()
        assert text.count("\n") <= 300, path.name
        assert "core.torch_heads" not in text and "core.ensemble import resolve_device" not in text, path.name
