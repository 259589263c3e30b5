"""`python -m trainer export-onnx`: bundles written before the ONNX heads get them, and nothing else
about them changes."""

from __future__ import annotations

import json

import numpy as np

from tajweed_desktop.core.model.bundle import load_bundle, new_card, save_bundle
from tajweed_desktop.core.model.ensemble import Ensemble
from tests.conftest import LABELS4, random_states, voice
from trainer.cli import main


def test_an_old_bundle_gets_onnx_heads_and_keeps_its_weights_and_card(tmp_path, capsys):
    card = new_card("old", LABELS4, calibration={"temperature": 1.7})
    target = save_bundle(tmp_path / "old", card, random_states(4, 2))
    before = json.loads((target / "model.json").read_text())
    assert "heads_onnx" not in before
    torch_ens = Ensemble.from_path(target, device="cpu")
    assert torch_ens.runtime == "torch"  # no ONNX heads yet: torch, as before

    assert main(["export-onnx", str(target)]) == 0
    assert "folds.onnx written" in capsys.readouterr().out
    after = json.loads((target / "model.json").read_text())
    assert after["folds"] == before["folds"]  # the same weights files, byte for byte (sha256)
    assert {k: v for k, v in after.items() if k != "heads_onnx"} == before
    onnx_ens = Ensemble.from_path(target, device="cpu")
    assert onnx_ens.runtime == "onnx"
    clips = np.stack([voice(4.0, amp=a) for a in (0.1, 0.3)])
    assert np.abs(onnx_ens.fold_probabilities(clips) - torch_ens.fold_probabilities(clips)).max() < 1e-4
    assert load_bundle(target).onnx_path.name == "folds.onnx"
