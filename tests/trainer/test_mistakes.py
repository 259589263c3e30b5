"""One test per mistake that once passed the whole suite (issue 18, item 10). Each was checked by
putting the mistake back (`python tools/put_back_mistakes.py`): every one of these then fails."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import trainer.train as train_mod
from tajweed_desktop.core.audio.decode import decode
from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.audio.levels import TARGET_RMS_DBFS
from tajweed_desktop.core.audio.recording import recording_from_array
from tajweed_desktop.core.model.card import DEFAULT_UNCERTAINTY
from tajweed_desktop.core.model.ensemble import softmax, verdict
from trainer.augment import AugmentConfig
from trainer.features import clip_variants
from trainer.folds import make_folds
from trainer.metrics import fit_temperature
from trainer.recipe import load_recipe
from tests.conftest import need_data
from tests.trainer.test_evaluation_honesty import N, synthetic_frames_dataset


def test_the_temperature_is_the_one_that_fits():
    """Logits of a model overconfident by 2.5x: the fitted temperature is about 2.5, not 1."""
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, (4000, 4))
    y = np.array([rng.choice(4, p=p) for p in softmax(z, 2.5)])
    assert fit_temperature(z, y) == pytest.approx(2.5, rel=0.1)
    assert fit_temperature(z / 2.5 * 0.5, y) == pytest.approx(0.5, rel=0.1)


def test_near_uniform_logits_reach_the_lower_bound():
    """Logits that carry the label but are tiny want the smallest temperature allowed (0.05):
    the bounded minimiser finds it (the unbounded search stopped at 0.77)."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 400)
    z = rng.normal(0, 1e-3, (400, 4))
    z[np.arange(400), y] += 2e-3
    assert fit_temperature(z, y) == pytest.approx(0.05, abs=1e-3)


def test_the_epoch_kept_is_the_best_on_the_inner_split(tmp_path):
    ds, frames = synthetic_frames_dataset(tmp_path)
    recipe = load_recipe("frames").with_overrides(epochs=6, select="inner", lr=0.003)
    r = train_mod.train_fold(ds, 1, list(range(30)), list(range(30, N)), recipe, tmp_path / "f", progress=False,
                             examples=train_mod.FrameExamples(frames, recipe))
    inner = [h["inner_macro_f1"] for h in r.history]
    assert len(set(inner)) > 1  # the epochs differ, so the choice matters
    assert r.epoch_kept == 1 + int(np.argmax(inner))  # the first best, never a worse one


def test_last_keeps_the_last_epoch(tmp_path):
    ds, frames = synthetic_frames_dataset(tmp_path)
    recipe = load_recipe("frames").with_overrides(epochs=3)
    r = train_mod.train_fold(ds, 1, list(range(30)), list(range(30, N)), recipe, tmp_path / "f", progress=False,
                             examples=train_mod.FrameExamples(frames, recipe))
    assert r.epoch_kept == 3


def test_the_voices_split_holds_each_voice_out_once():
    targets = [i % 4 for i in range(60)]
    groups = [f"v{i % 6}" for i in range(60)]
    folds = make_folds(targets, groups, 5, "voices", 1)
    assert len(folds) == 6
    held = []
    for tr, va in folds:
        voices = {groups[i] for i in va}
        assert len(voices) == 1 and not voices & {groups[i] for i in tr}
        assert sorted(tr + va) == list(range(60))
        held += voices
    assert sorted(held) == sorted(set(groups))


@pytest.fixture
def padded_recording():
    """A real clip after a second of silence, recorded 25 dB quieter than it was."""
    x, rate = decode(need_data("reciters5", "train", "husary_001007_w03_izhar.wav"))[:2]
    return recording_from_array(np.concatenate([np.zeros(rate, np.float32), x * 0.056]), rate)


def test_an_unaugmented_variant_is_the_inference_clip(padded_recording):
    """With every augmentation off, a training variant is the app's clip, sample for sample: it
    was trimmed and levelled the same way."""
    clean, plain = clip_variants(padded_recording, AugmentConfig(), 1)
    assert torch.equal(clean, plain)


def test_augmented_variants_are_trimmed_and_levelled(padded_recording):
    rec = padded_recording
    for v in clip_variants(rec, load_recipe("frames").augment, 4)[1:]:
        x = v.numpy()
        assert np.abs(x[: SAMPLE_RATE // 2]).max() > 0.01  # the leading second of silence is gone
        level = 20 * np.log10(np.sqrt(np.mean(x[np.abs(x) > 1e-4] ** 2)))
        assert level > TARGET_RMS_DBFS - 12  # levelled (the input was about -45 dBFS), within gain's 6 dB


@pytest.mark.parametrize("votes, uncertain", [((0, 0, 1, 2, 3), True), ((0, 0, 0, 1, 2), False)])
def test_fold_models_that_disagree_make_a_verdict_uncertain(votes, uncertain):
    """The mean is confident in rule 0 either way; with only 2 of 5 fold models for it the verdict
    is uncertain, with 3 of 5 it is not (the card's default and the shipped bundle's 0.6)."""
    labels = ("a", "b", "c", "d")
    fold_probs = np.zeros((5, 4))
    for k, v in enumerate(votes):
        fold_probs[k] = [0.94, 0.02, 0.02, 0.02] if v == 0 else [0.45 if j == 0 else 0.55 if j == v else 0.0
                                                                for j in range(4)]
    p = verdict(labels, DEFAULT_UNCERTAINTY, fold_probs, 2.0)
    assert p.top_rule == "a" and p.confidence >= DEFAULT_UNCERTAINTY["min_confidence"]
    assert p.uncertain is uncertain
    assert DEFAULT_UNCERTAINTY["min_agreement"] == pytest.approx(0.6)
