from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch

from tajweed_desktop.core.audio.levels import NORMALISATION
from tajweed_desktop.core.common.errors import BundleError
from tajweed_desktop.core.model.bundle import load_bundle, new_card, save_bundle
from tajweed_desktop.core.model.networks import CNN1D
from tajweed_desktop.core.model.notebook_import import import_notebook_checkpoints
from tests.conftest import LABELS4, random_states


def test_round_trip_keeps_card_and_weights(tiny_bundle):
    b = load_bundle(tiny_bundle)
    assert b.labels == LABELS4 and len(b.fold_states) == 3
    card = json.loads((tiny_bundle / "model.json").read_text())
    assert card["format_version"] == 1 and card["sample_rate"] == 16000 and card["clip_seconds"] == 4.0
    assert card["normalisation"] == NORMALISATION and card["architecture"]["name"] == "CNN1D"
    assert all(len(f["sha256"]) == 64 for f in card["folds"])
    expected = random_states(4, 3)
    for got, want in zip(b.fold_states, expected):
        assert all(np.array_equal(got[k], want[k].numpy()) for k in want)


def test_model_matches_the_recipe():
    m = CNN1D(4)
    assert sum(p.numel() for p in m.parameters()) == 475_908  # "476k parameters for 4 classes"
    assert m(torch.zeros(2, 1, 64000)).shape == (2, 4)
    assert {"net.0.weight", "net.1.running_mean", "net.9.weight", "fc.weight"} <= m.state_dict().keys()


def test_tampered_weights_are_refused(tiny_bundle):
    w = tiny_bundle / "fold2.safetensors"
    data = bytearray(w.read_bytes())
    data[-10] ^= 0xFF
    w.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="fold2.safetensors does not match its sha256"):
        load_bundle(tiny_bundle)


def test_tampered_or_missing_onnx_heads_are_refused(tiny_bundle):
    heads = tiny_bundle / "folds.onnx"
    data = bytearray(heads.read_bytes())
    data[len(data) // 2] ^= 0xFF
    heads.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="folds.onnx does not match its sha256"):
        load_bundle(tiny_bundle)
    heads.unlink()
    with pytest.raises(BundleError, match="folds.onnx is missing"):
        load_bundle(tiny_bundle)


def test_onnx_heads_changed_after_loading_are_refused(tiny_bundle):
    from tajweed_desktop.core.model.onnx_heads import OnnxHeads

    bundle = load_bundle(tiny_bundle)
    (tiny_bundle / "folds.onnx").write_bytes(b"not the verified graph")
    with pytest.raises(BundleError, match="changed after it was verified"):
        OnnxHeads(bundle)


def test_missing_weights_are_refused(tiny_bundle):
    (tiny_bundle / "fold3.safetensors").unlink()
    with pytest.raises(BundleError, match="fold3.safetensors is missing"):
        load_bundle(tiny_bundle)


@pytest.mark.parametrize(
    "change,words",
    [
        (lambda c: c.update(format_version=99), "unknown format version 99"),
        (lambda c: c.update(labels=["A", "B", "C"]), "has shape (4, 256), expected (3, 256) for 3 labels"),
        (lambda c: c.update(labels=["A"]), "model.json field labels: Expected `array` of length >= 2"),
    ],
)
def test_card_problems_are_refused(tiny_bundle, change, words):
    card = json.loads((tiny_bundle / "model.json").read_text())
    change(card)
    (tiny_bundle / "model.json").write_text(json.dumps(card))
    with pytest.raises(BundleError) as info:
        load_bundle(tiny_bundle)
    assert words in str(info.value) and str(tiny_bundle) in str(info.value)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(BundleError, match="folder not found"):
        load_bundle(tmp_path / "nope")


class _Boom:
    def __reduce__(self):
        return (open, ("/tmp/tajweed-pwned", "w"))


def test_a_pickle_in_a_bundle_is_never_unpickled(tiny_bundle, tmp_path):
    evil = tiny_bundle / "fold1.safetensors"
    evil.write_bytes(pickle.dumps(_Boom()))
    card = json.loads((tiny_bundle / "model.json").read_text())
    import hashlib

    card["folds"][0]["sha256"] = hashlib.sha256(evil.read_bytes()).hexdigest()
    (tiny_bundle / "model.json").write_text(json.dumps(card))
    with pytest.raises(BundleError, match="fold1.safetensors is unreadable"):
        load_bundle(tiny_bundle)
    card["folds"][0]["file"] = "../evil.pt"
    (tiny_bundle / "model.json").write_text(json.dumps(card))
    with pytest.raises(BundleError, match="not a safetensors file inside the bundle"):
        load_bundle(tiny_bundle)


def test_notebook_checkpoint_imports_into_a_bundle(tmp_path):
    states = random_states(4, 2)
    paths = []
    for k, state in enumerate(states, start=1):
        opt = torch.optim.Adam(CNN1D(4).parameters())
        p = tmp_path / f"fold{k}_best.pt"
        torch.save({"model_state_dict": state, "optimizer_state_dict": opt.state_dict(), "epoch": 2, "f1": 0.5 + k / 10, "fold": k}, p)
        paths.append(p)
    out = import_notebook_checkpoints(paths, LABELS4, tmp_path / "imported")
    b = load_bundle(out)
    assert np.array_equal(b.fold_states[1]["fc.weight"], states[1]["fc.weight"].numpy())
    assert b.card.cross_validation["fold_macro_f1"] == [0.6, 0.7]


def test_saving_over_a_bundle_is_all_or_nothing(tiny_bundle, monkeypatch):
    before = (tiny_bundle / "model.json").read_text()
    import tajweed_desktop.core.model.bundle as bundle_mod

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(bundle_mod, "save_file", fail)
    with pytest.raises(OSError):
        save_bundle(tiny_bundle, new_card("x", LABELS4), random_states(4, 1))
    assert (tiny_bundle / "model.json").read_text() == before
    assert sorted(p.name for p in tiny_bundle.parent.iterdir()) == ["tiny"]
