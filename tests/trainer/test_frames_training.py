"""The front-end path end to end on a few real clips: encode once (cached), train, report,
export a bundle that names its front end, load it, analyse; a second run encodes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tajweed_desktop.core.model import frontend
from tajweed_desktop.core.model.bundle import load_bundle
from tajweed_desktop.core.model.ensemble import Ensemble
from trainer.cli import main
from trainer.data import load_dataset
from trainer.recipe import CONFIG_DIR
from tests.trainer.test_folds_and_data import kaggle_copy


def test_frames_recipe_trains_exports_and_reuses_its_cache(tmp_path, capsys, monkeypatch):
    data = kaggle_copy(tmp_path)
    recipe = json.loads((CONFIG_DIR / "frames.json").read_text())
    (tmp_path / "quick.json").write_text(json.dumps({**recipe, "epochs": 2, "variants": 1}))
    cache, out = tmp_path / "cache", tmp_path / "bundle"
    common = ["--data", str(data), "--folds", "2", "--recipe", str(tmp_path / "quick.json"),
              "--feature-cache", str(cache), "--no-progress"]
    assert main([*common, "--run-dir", str(tmp_path / "run"), "--export", str(out)]) == 0
    assert len(list(cache.rglob("*.npy"))) == 2 * 16  # each clip and one variant, once

    m = json.loads((tmp_path / "run" / "report" / "metrics.json").read_text())
    assert m["recipe"]["front_end"] == "whisper-base" and all(f["epoch_kept"] == 2 for f in m["folds"])
    b = load_bundle(out)
    assert b.card.front_end.weights_sha256 == frontend.WEIGHTS_SHA256
    assert b.card.architecture["name"] == "FrameCNN1D" and len(b.fold_states) == 2
    assert len(b.card.training_data["clip_sha256_prefixes"]) == 16
    ds = load_dataset(data, show_progress=False)
    ens = Ensemble(b, device="cpu")
    assert b.onnx_path is not None and ens.runtime == "onnx"  # the export carries the heads the app runs
    a = ens.analyse(ds.recordings[0])
    assert a.clip.probabilities.sum() == pytest.approx(1.0, abs=1e-6) and len(a.clip.fold_votes) == 2
    in_torch = Ensemble(b, device="cpu", runtime="torch").analyse(ds.recordings[0])
    assert np.abs(in_torch.clip.probabilities - a.clip.probabilities).max() < 1e-4

    def no_encoding(*args, **kwargs):
        raise AssertionError("the cache should have held every clip")

    monkeypatch.setattr(frontend.WhisperEncoder, "encode", no_encoding)
    assert main([*common, "--run-dir", str(tmp_path / "again"), "--epochs", "1"]) == 0

    capsys.readouterr()
    monkeypatch.undo()
    assert main(["evaluate", "--model", str(out), "--data", str(data)]) == 0
    captured = capsys.readouterr()
    assert "16 of 16 clips were in this bundle's own training data" in captured.err
