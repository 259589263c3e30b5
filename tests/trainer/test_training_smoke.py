"""The whole path on a few real clips, one epoch, on the CPU: train, report, export, load, predict."""

from __future__ import annotations

import json

import numpy as np
import pytest

import trainer.train as train_mod
from tajweed_desktop.core.model.bundle import load_bundle
from tajweed_desktop.core.model.ensemble import Ensemble
from trainer.cli import main
from trainer.data import load_dataset
from trainer.recipe import load_recipe
from tests.trainer.test_folds_and_data import kaggle_copy


def test_train_report_export_load_predict(tmp_path, capsys):
    data = kaggle_copy(tmp_path)
    run, out = tmp_path / "run", tmp_path / "bundle"
    code = main(["--data", str(data), "--folds", "2", "--epochs", "1", "--run-dir", str(run),
                 "--export", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "fold 1: 8 train / 8 validation" in printed and "voice-only baseline" in printed
    report = run / "report"
    for name in ("report.md", "metrics.json", "oof.csv", "clips.png", "f1_per_fold.png", "training_loss.png",
                 "val_f1.png", "confusion.png", "reliability.png"):
        assert (report / name).stat().st_size > 0, name
    m = json.loads((report / "metrics.json").read_text())
    assert len(m["cnn_macro_f1"]["folds"]) == 2 and m["calibration"]["temperature"] > 0
    assert len(json.loads((run / "folds.json").read_text())["folds"]) == 2
    b = load_bundle(out)
    assert b.labels == ["Idgham", "Ikhfa", "Iqlab", "Izhar"] and len(b.fold_states) == 2
    assert b.card.training_data["fingerprint_sha256"] == m["fingerprint"]
    assert (out / "report" / "report.md").exists()
    ds = load_dataset(data, show_progress=False)
    a = Ensemble(b, device="cpu").analyse(ds.recordings[0])
    assert abs(a.clip.probabilities.sum() - 1) < 1e-6

    capsys.readouterr()
    assert main(["evaluate", "--model", str(out), "--data", str(data), "--json"]) == 0
    printed = capsys.readouterr().out
    scores = json.loads(printed[printed.index("{"):])
    assert len(scores["confusion"]) == 4 and sum(map(sum, scores["confusion"])) == 16
    assert 0 <= scores["macro_f1"] <= 1


def test_interrupted_fold_resumes_and_matches_an_uninterrupted_run(tmp_path, monkeypatch):
    ds = load_dataset(kaggle_copy(tmp_path), show_progress=False)
    recipe = load_recipe("default").with_overrides(epochs=2, batch_size=8)
    tr, va = list(range(0, 16, 2)), list(range(1, 16, 2))
    clean = train_mod.train_fold(ds, 1, tr, va, recipe, tmp_path / "clean", progress=False)

    real = train_mod.predict_logits
    calls = {"n": 0}

    def dies_in_epoch_two(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the user pressed Ctrl+C during epoch 2
        return real(*a, **k)

    monkeypatch.setattr(train_mod, "predict_logits", dies_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        train_mod.train_fold(ds, 1, tr, va, recipe, tmp_path / "cut", progress=False)
    assert (tmp_path / "cut" / "last.pt").exists() and not (tmp_path / "cut" / "result.json").exists()
    assert not list((tmp_path / "cut").glob("*.part"))
    monkeypatch.setattr(train_mod, "predict_logits", real)
    resumed = train_mod.train_fold(ds, 1, tr, va, recipe, tmp_path / "cut", progress=False)
    assert len(resumed.history) == 2
    assert np.allclose(resumed.val_logits, clean.val_logits, atol=1e-3)
    assert resumed.history[1]["train_loss"] == pytest.approx(clean.history[1]["train_loss"], abs=1e-3)


def test_folds_trained_separately_then_assembled(tmp_path, capsys):
    data = kaggle_copy(tmp_path)
    run, out = tmp_path / "run", tmp_path / "bundle"
    common = ["--data", str(data), "--folds", "2", "--epochs", "1", "--run-dir", str(run), "--no-progress"]
    assert main([*common, "--fold", "2"]) == 0
    assert (run / "fold2" / "result.json").exists() and not (run / "fold1").exists()
    with pytest.raises(SystemExit, match="fold\\(s\\) 1 not trained yet"):
        main(["assemble", str(run), "--export", str(out)])
    assert not out.exists()
    assert main([*common, "--fold", "1"]) == 0
    assert main(["assemble", str(run), "--export", str(out)]) == 0
    b = load_bundle(out)
    assert len(b.fold_states) == 2
    assert "--fold" not in b.card.cross_validation["command"].split()  # the command reproduces every fold
    # one fold alone: its card lists only the clips that fold was trained on, not its validation clips
    one = tmp_path / "fold1-bundle"
    assert main(["assemble", str(run), "--fold", "1", "--export", str(one)]) == 0
    single = load_bundle(one)
    assert len(single.fold_states) == 1
    val = json.loads((run / "fold1" / "result.json").read_text())["val_indices"]
    assert single.card.training_data["clips"] == b.card.training_data["clips"] - len(val)
    assert len(single.card.training_data["clip_sha256_prefixes"]) < len(b.card.training_data["clip_sha256_prefixes"])
    assert "voices" in single.card.training_data
    with pytest.raises(SystemExit, match="no fold 3"):
        main(["assemble", str(run), "--fold", "3", "--export", str(tmp_path / "none")])
