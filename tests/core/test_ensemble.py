from __future__ import annotations

import numpy as np
import pytest
import torch

from tajweed_desktop.core import audio
from tajweed_desktop.core.ensemble import Ensemble, resolve_device
from tests.conftest import LABELS4, need_data, tone


@pytest.fixture
def ensemble(tiny_bundle):
    return Ensemble.from_path(tiny_bundle, device="cpu", batch_size=4)


def test_clip_probabilities_are_the_mean_of_the_folds(ensemble):
    rec = audio.load_recording(need_data("kaggle_samples", "train", "1.wav"))
    a = ensemble.analyse(rec)
    x = audio.fixed_clip(rec.samples).view(1, 1, -1)
    with torch.no_grad():
        folds = torch.stack([torch.softmax(m(x), -1)[0] for m in ensemble.models])
    assert np.allclose(a.clip.probabilities, folds.mean(0).numpy(), atol=1e-6)
    assert np.allclose(a.clip.spread, folds.std(0, unbiased=False).numpy(), atol=1e-6)
    assert a.clip.probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    assert a.clip.top_rule in LABELS4 and len(a.clip.fold_votes) == 3
    assert a.timeline == ()


def test_batched_equals_one_at_a_time(ensemble):
    recs = [audio.recording_from_array(tone(f, 2.0 + i), 16000) for i, f in enumerate((150, 250, 350, 450, 550))]
    together = ensemble.analyse_many(recs)
    for rec, a in zip(recs, together):
        assert np.allclose(ensemble.analyse(rec).clip.probabilities, a.clip.probabilities, atol=1e-5)


def test_long_recording_gets_a_timeline(ensemble):
    rec = audio.recording_from_array(tone(200, 7.0), 16000)
    a = ensemble.analyse(rec, timeline=True, hop_seconds=1.0)
    assert [(t.start, t.end) for t in a.timeline] == [(0, 4), (1, 5), (2, 6), (3, 7)]
    assert all(abs(t.prediction.probabilities.sum() - 1) < 1e-6 for t in a.timeline)


def test_weak_evidence_is_called_uncertain(ensemble):
    sparse = audio.load_recording(need_data("kaggle_samples", "train", "3.wav"))  # 0.2 s of sound
    a = ensemble.analyse(sparse)
    assert a.clip.uncertain and any("too little sound" in r for r in a.clip.uncertain_reasons)
    # random weights give near-uniform probabilities: "low confidence" is the honest verdict
    assert any("low confidence" in r for r in a.clip.uncertain_reasons)


def test_cuda_request_without_cuda_falls_back_with_a_note():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    device, note = resolve_device("cuda")
    assert device.type == "cpu" and "not available" in note
    with pytest.raises(ValueError):
        resolve_device("tpu")
