"""Evaluation that cannot flatter: validation clips never train their fold, the epoch kept never
looks at them, copies stay together, held-out words stay held out, and a clip is prepared for
training exactly as the app prepares it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import trainer.train as train_mod
from tajweed_desktop.core.audio.decode import decode
from tajweed_desktop.core.audio.recording import recording_from_array
from tajweed_desktop.core.model.ensemble import Ensemble
from trainer.data import Dataset, Item
from trainer.features import clip_variants
from trainer.folds import make_folds
from trainer.recipe import load_recipe
from tests.conftest import need_data
from tests.core.model.test_frame_ensemble import frame_bundle  # noqa: F401 (fixture)

N, DIM, FRAMES = 40, 512, 200


def synthetic_frames_dataset(tmp_path) -> tuple[Dataset, torch.Tensor]:
    """Forty 'clips' of four rules whose frames carry their rule, plus noise: training learns."""
    g = torch.Generator().manual_seed(0)
    targets = [i % 4 for i in range(N)]
    frames = torch.randn(N, 2, DIM, FRAMES, generator=g) * 0.5
    for i, t in enumerate(targets):
        frames[i, :, t * 8 : t * 8 + 8] += 1.0
    labels = ["Idgham", "Ikhfa", "Iqlab", "Izhar"]
    items = [Item(tmp_path / f"{i}.wav", labels[t], f"voice{i % 5}") for i, t in enumerate(targets)]
    return Dataset(tmp_path, "kaggle", labels, items, [None] * N), frames


class Recording(train_mod.FrameExamples):
    """FrameExamples that note every clip handed to training."""

    trained: set[int] = set()

    def training(self, ids, gen):
        Recording.trained |= set(ids)
        return super().training(ids, gen)


@pytest.mark.parametrize("select", ["last", "inner"])
def test_a_validation_clip_never_reaches_its_folds_training(tmp_path, select):
    ds, frames = synthetic_frames_dataset(tmp_path)
    recipe = load_recipe("frames").with_overrides(epochs=2, select=select)
    Recording.trained = set()
    tr, va = list(range(0, 30)), list(range(30, 40))
    r = train_mod.train_fold(ds, 1, tr, va, recipe, tmp_path / "f", progress=False, examples=Recording(frames, recipe))
    assert Recording.trained and Recording.trained <= set(tr) and not Recording.trained & set(va)
    assert r.val_indices == va and r.val_logits.shape == (10, 4)


def test_the_epoch_kept_never_looks_at_the_scored_fold(tmp_path, monkeypatch):
    """Two runs that differ only in the labels of the validation clips keep the same epoch and
    the same weights: the choice (inner split) cannot have looked at them."""
    ds, frames = synthetic_frames_dataset(tmp_path)
    recipe = load_recipe("frames").with_overrides(epochs=4, select="inner", lr=0.01)
    tr, va = list(range(0, 30)), list(range(30, 40))
    first = train_mod.train_fold(ds, 1, tr, va, recipe, tmp_path / "a", progress=False,
                                 examples=train_mod.FrameExamples(frames, recipe))
    shuffled = [ds.items[i] if i < 30 else Item(ds.items[i].path, ds.labels[(ds.targets[i] + 1) % 4], ds.items[i].group)
                for i in range(N)]
    ds2 = Dataset(tmp_path, "kaggle", ds.labels, shuffled, ds.recordings)
    second = train_mod.train_fold(ds2, 1, tr, va, recipe, tmp_path / "b", progress=False,
                                  examples=train_mod.FrameExamples(frames, recipe))
    assert [h["val_macro_f1"] for h in first.history] != [h["val_macro_f1"] for h in second.history]
    assert first.epoch_kept == second.epoch_kept
    assert np.array_equal(first.val_logits, second.val_logits)
    assert all("inner_macro_f1" in h for h in first.history)


def test_best_on_the_scored_fold_is_not_a_recipe_option(tmp_path):
    from trainer.recipe import RecipeError

    bad = tmp_path / "best.json"
    bad.write_text('{"select": "best"}')
    with pytest.raises(RecipeError, match="flatters the score"):
        load_recipe(str(bad))


def test_byte_identical_clips_stay_in_one_fold_for_every_split():
    targets = [i % 4 for i in range(40)]
    groups = [f"v{i % 4}" for i in range(40)]
    contexts = [f"1:1:{i % 8}" for i in range(40)]
    same = [f"h{i}" for i in range(40)]
    same[7] = same[3]  # two copies of one clip: one in v3, one in v3 (same rule)
    same[12] = same[0]
    for strategy in ("stratified", "grouped", "voices", "words"):
        for tr, va in make_folds(targets, groups, 4, strategy, 1, contexts, same):
            for a, b in ((3, 7), (0, 12)):
                assert not ({a, b} & set(va) and {a, b} & set(tr)), strategy


def test_words_split_never_shares_a_word_context_and_unknown_words_only_train():
    targets = [i % 3 for i in range(30)] + [3] * 6
    groups = [f"r{i % 5}" for i in range(36)]
    contexts = [f"1:{i % 10}:2" for i in range(30)] + [None] * 6
    folds = make_folds(targets, groups, 5, "words", 0, contexts)
    assert len(folds) == 5
    for tr, va in folds:
        assert not {contexts[i] for i in tr} & {contexts[i] for i in va}
        assert set(range(30, 36)) <= set(tr)
    assert sorted(i for _, va in folds for i in va) == list(range(30))


def test_training_and_inference_prepare_a_clip_identically(frame_bundle, monkeypatch):  # noqa: F811
    """The clip the trainer encodes as a clip's own (variant 0) is the one the app encodes: a
    recording with a second of silence before it, so a trim dropped on either side shows."""
    x, rate = decode(need_data("reciters5", "train", "husary_001007_w03_izhar.wav"), to_rate=None)[:2]
    rec = recording_from_array(np.concatenate([np.zeros(rate, np.float32), x]), rate)
    seen = []
    ens = Ensemble.from_path(frame_bundle, device="cpu")
    real = ens.encoder.encode
    monkeypatch.setattr(ens.encoder, "encode", lambda clips, **k: seen.append(clips.copy()) or real(clips, **k))
    ens.analyse(rec)
    trained_on = clip_variants(rec, load_recipe("frames").augment, 1)[0].numpy()
    assert np.array_equal(seen[0][0], trained_on)
    assert np.abs(trained_on[:rate]).max() > 0.01  # the silence was trimmed: speech starts the clip
