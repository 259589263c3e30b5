"""`python -m trainer nested`: each voice scored by a five-fold ensemble trained without it, its
verdicts measured with the card's rule, and the result added to the card's calibration record."""

from __future__ import annotations

import json

import numpy as np
import pytest

import trainer.nested as nested_mod
from trainer import calibration
from trainer.recipe import load_recipe
from trainer.train import FrameExamples
from tests.trainer.test_evaluation_honesty import synthetic_frames_dataset
from tests.trainer.test_numbers_hold import voices_report


class Voice:
    """A stand-in recording: only its active seconds are read."""

    def active_seconds(self, *a):
        return 2.0


@pytest.fixture
def nested_run(tmp_path, monkeypatch):
    ds, frames = synthetic_frames_dataset(tmp_path)
    ds.recordings = [Voice() for _ in ds.items]
    ds._hashes = [f"{i:064x}" for i in range(len(ds.items))]
    ds._fingerprints = [np.random.default_rng(i).random((50, 15)) > 0.5 for i in range(len(ds.items))]
    recipe = load_recipe("frames").with_overrides(epochs=2)
    monkeypatch.setattr(nested_mod, "training_examples", lambda *a, **k: FrameExamples(frames, recipe))
    monkeypatch.setattr(nested_mod.clips, "model_clip", lambda rec: (None, 0.0, 4.0))
    voices = voices_report(tmp_path / "voices", fingerprint=ds.fingerprint(), recipe="frames")
    m = json.loads((voices / "report" / "metrics.json").read_text())
    m["split"]["recipe_sha256"] = calibration.recipe_sha256(recipe.to_dict())
    m["calibration"]["per_unit"] = {f"voice{v}": {"temperature": 1.0 + v / 10, "threshold": 0.5} for v in range(5)}
    (voices / "report" / "metrics.json").write_text(json.dumps(m))
    card = tmp_path / "bundle"
    card.mkdir()
    (card / "model.json").write_text(json.dumps({"name": "x", "calibration": {"temperature": 1.6, "ece_after": 0.1},
                                                 "uncertainty": {"min_confidence": 0.63}}))
    record = nested_mod.run_nested(ds, recipe, tmp_path / "run", voices, k=3, progress=False, card_dir=card,
                                   command="python -m trainer nested …")
    return ds, record, card, tmp_path / "run"


def test_each_voice_is_scored_only_by_models_that_never_heard_it(nested_run):
    ds, record, _, run = nested_run
    for v in sorted(set(ds.groups)):
        for fold in sorted((run / f"voice-{v}").glob("fold*/result.json")):
            r = json.loads(fold.read_text())
            assert {ds.groups[i] for i in r["val_indices"]} == {v}
        split = nested_mod.outer_inner_folds(ds, 3, 42)[v]
        assert all(v not in {ds.groups[i] for i in tr} for tr, _ in split[1])
    assert record["folds_per_voice"] == 3 and record["clips"] == len(ds.items)


def test_the_measurement_goes_on_the_card_and_nothing_else_changes(nested_run):
    _, record, card, _ = nested_run
    c = json.loads((card / "model.json").read_text())
    assert c["calibration"]["temperature"] == 1.6 and c["calibration"]["ece_after"] == 0.1
    assert c["calibration"]["measured"] == json.loads(json.dumps(record))
    assert c["uncertainty"] == {"min_confidence": 0.63}
    m = c["calibration"]["measured"]
    assert m["temperature"] == 1.6 and m["min_confidence"] == 0.63 and m["min_agreement"] == 0.6
    for setting in ("at_shipped", "cross_fitted"):
        assert 0 <= m[setting]["ece"] <= 1 and m[setting]["sure"] <= m["clips"]
