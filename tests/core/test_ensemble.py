from __future__ import annotations

import numpy as np
import pytest
import torch

from tajweed_desktop.core import audio
from tajweed_desktop.core.bundle import load_bundle
from tajweed_desktop.core.ensemble import BF16_PROBABILITY_BOUND, Ensemble, resolve_device, resolve_precision
from tajweed_desktop.core.model import fold_batchnorm
from tajweed_desktop.core.paths import bundled_models_dir
from tests.conftest import LABELS4, DATA, need_data, voice


@pytest.fixture
def ensemble(tiny_bundle):
    return Ensemble.from_path(tiny_bundle, device="cpu", batch_size=4, precision="fp32")


def reference_fold_probabilities(bundle, clips: torch.Tensor) -> torch.Tensor:
    """The naive reference: each fold model as trained (BatchNorm unfolded), fp32, eager."""
    with torch.no_grad():
        return torch.stack([torch.softmax(m(clips.unsqueeze(1)) / bundle.temperature, -1) for m in bundle.build_models()])


def test_clip_probabilities_are_the_mean_of_the_folds(ensemble):
    rec = audio.load_recording(need_data("kaggle_samples", "train", "1.wav"))
    a = ensemble.analyse(rec)
    clip, _, _ = audio.model_clip(rec)
    folds = reference_fold_probabilities(ensemble.bundle, clip.view(1, -1))[:, 0]
    assert np.allclose(a.clip.probabilities, folds.mean(0).numpy(), atol=1e-4)
    assert np.allclose(a.clip.spread, folds.std(0, unbiased=False).numpy(), atol=1e-4)
    assert a.clip.probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    assert a.clip.top_rule in LABELS4 and len(a.clip.fold_votes) == 3
    assert a.timeline == ()


def test_batched_equals_one_at_a_time(ensemble):
    recs = [audio.recording_from_array(voice(2.0 + i, amp=a), 16000) for i, a in enumerate((0.1, 0.2, 0.3, 0.4, 0.5))]
    together = ensemble.analyse_many(recs)
    for rec, a in zip(recs, together):
        assert np.allclose(ensemble.analyse(rec).clip.probabilities, a.clip.probabilities, atol=1e-5)


def test_long_recording_gets_a_timeline(ensemble):
    rec = audio.recording_from_array(voice(7.0), 16000)
    a = ensemble.analyse(rec, timeline=True, hop_seconds=1.0)
    assert [(t.start, t.end) for t in a.timeline] == [(0, 4), (1, 5), (2, 6), (3, 7)]
    assert all(abs(t.prediction.probabilities.sum() - 1) < 1e-6 for t in a.timeline)


def test_weak_evidence_is_called_uncertain(ensemble):
    x = np.concatenate([np.zeros(24000, np.float32), voice(0.25), np.zeros(40000, np.float32)])
    sparse = audio.recording_from_array(x, 16000)  # a voice is heard, but only for 0.26 s of the 4 s
    assert sparse.active_seconds() < 0.3
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


def test_folding_batchnorm_changes_nothing_but_rounding(tiny_bundle):
    for m in load_bundle(tiny_bundle).build_models():
        x = torch.randn(3, 1, 20000)
        with torch.no_grad():
            assert torch.allclose(fold_batchnorm(m)(x), m(x), atol=1e-4)
        assert not any(isinstance(layer, torch.nn.BatchNorm1d) for layer in fold_batchnorm(m).net)


def _real_clips(pattern: str, every: int) -> torch.Tensor:
    files = sorted((DATA / pattern).parent.glob((DATA / pattern).name))[::every]
    if not files:
        need_data(pattern.split("/")[0])  # a clear skip, or a failure where the data is required
        pytest.fail(f"no clips at {DATA / pattern}")
    return torch.stack([audio.model_clip(audio.load_recording(f))[0] for f in files])


@pytest.mark.parametrize("bundle_name, pattern", [("tajweed4-waveform", "tajweed4/train/*.wav"), ("rules14-waveform", "rules14/ikhfa/*.opus")])
def test_fast_paths_match_the_fp32_reference_on_real_clips(bundle_name, pattern):
    """fp32: within 1e-4 of the naive reference; bf16: within the documented bound, same verdict."""
    clips = _real_clips(pattern, every=17)
    bundle = load_bundle(bundled_models_dir() / bundle_name)
    ref = reference_fold_probabilities(bundle, clips)
    for precision, bound in (("fp32", 1e-4), ("bf16", BF16_PROBABILITY_BOUND)):
        ens = Ensemble(bundle, device="cpu", precision=precision)
        got = ens.fold_probabilities(clips)
        ens.close()
        # the bound is on what the user sees: the ensemble's probabilities (the mean over folds)
        assert (got.mean(0) - ref.mean(0)).abs().max() <= bound, precision
        assert torch.equal(got.mean(0).argmax(-1), ref.mean(0).argmax(-1)), precision


def test_precision_auto_uses_bf16_only_on_cpus_that_compute_it(monkeypatch):
    from tajweed_desktop.core import ensemble as E

    monkeypatch.setattr(E, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto", torch.device("cpu")) == "fp32"
    monkeypatch.setattr(E, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision("auto", torch.device("cpu")) == "bf16"
    assert resolve_precision("auto", torch.device("cuda")) == "fp32"
    assert resolve_precision("fp32", torch.device("cpu")) == "fp32"
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("fp8", torch.device("cpu"))


def test_cpu_workers_leave_other_threads_their_torch_threads(ensemble):
    import threading

    before = torch.get_num_threads()
    ensemble.analyse(audio.recording_from_array(voice(2.0), 16000))
    seen = []
    t = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    t.start()
    t.join()
    assert seen == [before] and torch.get_num_threads() == before
    ensemble.close()
    assert not [t.name for t in threading.enumerate() if t.name.startswith("ensemble")]
    # an analysis that was queued behind close() still works, without starting threads again
    assert ensemble.analyse(audio.recording_from_array(voice(2.0), 16000)).clip.probabilities.sum() == pytest.approx(1)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("ensemble")]


def test_cuda_failing_mid_run_falls_back_to_the_cpu_and_says_so(ensemble, tiny_bundle):
    rec = audio.recording_from_array(voice(2.0), 16000)
    expected = ensemble.analyse(rec).clip.probabilities
    # as if CUDA had worked when the bundle loaded: the next transfer to it raises, for real,
    # on this machine (no driver) and on a GPU machine (the models are on the CPU)
    ensemble.device = torch.device("cuda")
    got = ensemble.analyse(rec).clip.probabilities
    assert ensemble.device.type == "cpu" and ensemble.device_note.startswith("CUDA failed")
    assert np.allclose(got, expected, atol=1e-4)
