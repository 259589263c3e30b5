from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tajweed_desktop.core.audio.clips import model_clip
from tajweed_desktop.core.audio.recording import load_recording, recording_from_array
from tajweed_desktop.core.common.errors import BundleError
from tajweed_desktop.core.model import ensemble as E
from tajweed_desktop.core.model.bundle import ONNX_FILE, load_bundle
from tajweed_desktop.core.model.ensemble import (
    BF16_PROBABILITY_BOUND,
    Ensemble,
    plan_heads,
)
from tajweed_desktop.core.model.networks import fold_batchnorm, fold_models
from tajweed_desktop.core.model.paths import bundled_models_dir
from tajweed_desktop.core.model.torch_device import resolve_device
from tests.conftest import DATA, LABELS4, need_data, voice


@pytest.fixture
def ensemble(tiny_bundle):
    return Ensemble.from_path(tiny_bundle, device="cpu", batch_size=4, precision="fp32")


def build_models(bundle) -> list[torch.nn.Module]:
    return fold_models(bundle.architecture, len(bundle.labels), bundle.fold_states)


def reference_fold_probabilities(bundle, clips: np.ndarray) -> torch.Tensor:
    """The naive reference: each fold model as trained (BatchNorm unfolded), fp32, eager torch."""
    x = torch.from_numpy(np.asarray(clips, np.float32)).unsqueeze(1)
    with torch.no_grad():
        return torch.stack([torch.softmax(m(x) / bundle.temperature, -1) for m in build_models(bundle)])


def test_the_cpu_runs_the_onnx_heads_by_default(ensemble):
    assert ensemble.runtime == "onnx" and ensemble.device == "cpu" and "ONNX Runtime" in ensemble.precision


def test_clip_probabilities_are_the_mean_of_the_folds(ensemble):
    rec = load_recording(need_data("kaggle_samples", "train", "1.wav"))
    a = ensemble.analyse(rec)
    clip, _, _ = model_clip(rec)
    folds = reference_fold_probabilities(ensemble.bundle, clip[None])[:, 0]
    assert np.allclose(a.clip.probabilities, folds.mean(0).numpy(), atol=1e-4)
    assert np.allclose(a.clip.spread, folds.std(0, unbiased=False).numpy(), atol=1e-4)
    assert a.clip.probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    assert a.clip.top_rule in LABELS4 and len(a.clip.fold_votes) == 3
    assert a.timeline == ()


def test_batched_equals_one_at_a_time(ensemble):
    recs = [recording_from_array(voice(2.0 + i, amp=a), 16000) for i, a in enumerate((0.1, 0.2, 0.3, 0.4, 0.5))]
    together = ensemble.analyse_many(recs)
    for rec, a in zip(recs, together):
        assert np.allclose(ensemble.analyse(rec).clip.probabilities, a.clip.probabilities, atol=1e-5)


def test_long_recording_gets_a_timeline(ensemble):
    rec = recording_from_array(voice(7.0), 16000)
    a = ensemble.analyse(rec, timeline=True, hop_seconds=1.0)
    assert [(t.start, t.end) for t in a.timeline] == [(0, 4), (1, 5), (2, 6), (3, 7)]
    assert all(abs(t.prediction.probabilities.sum() - 1) < 1e-6 for t in a.timeline)


def test_weak_evidence_is_called_uncertain(ensemble):
    x = np.concatenate([np.zeros(24000, np.float32), voice(0.25), np.zeros(40000, np.float32)])
    sparse = recording_from_array(x, 16000)  # a voice is heard, but only for 0.26 s of the 4 s
    assert sparse.active_seconds() < 0.3
    a = ensemble.analyse(sparse)
    assert a.clip.uncertain and any("too little sound" in r for r in a.clip.uncertain_reasons)
    # random weights give near-uniform probabilities: "low confidence" is the honest verdict
    assert any("low confidence" in r for r in a.clip.uncertain_reasons)


def test_cuda_request_without_cuda_falls_back_with_a_note(tiny_bundle):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    device, note = resolve_device("cuda")
    assert device.type == "cpu" and "not available" in note
    with pytest.raises(ValueError):
        resolve_device("tpu")
    ens = Ensemble.from_path(tiny_bundle, device="cuda")
    assert ens.device == "cpu" and ens.runtime == "onnx" and "not available" in ens.device_note


def test_the_heads_plan(tiny_bundle, monkeypatch):
    """ONNX on the CPU unless torch is asked for (bf16, runtime) or the bundle has no ONNX heads;
    without torch, a bundle without ONNX heads is refused with the command that adds them."""
    bundle = load_bundle(tiny_bundle)
    assert plan_heads(bundle) == E.HeadsPlan("onnx", "cpu", "fp32")
    assert plan_heads(bundle, precision="bf16") == E.HeadsPlan("torch", "cpu", "bf16")
    assert plan_heads(bundle, runtime="torch").runtime == "torch"
    assert "bf16 runs only with PyTorch" in plan_heads(bundle, precision="bf16", runtime="onnx").note
    for bad in (dict(device="tpu"), dict(precision="fp8"), dict(runtime="tvm")):
        with pytest.raises(ValueError, match=next(iter(bad))):
            plan_heads(bundle, **bad)
    (tiny_bundle / ONNX_FILE).unlink()
    card = json.loads((tiny_bundle / "model.json").read_text())
    del card["heads_onnx"]
    (tiny_bundle / "model.json").write_text(json.dumps(card))
    old = load_bundle(tiny_bundle)
    assert old.onnx_path is None and plan_heads(old).runtime == "torch"
    monkeypatch.setattr(E, "torch_installed", lambda: False)
    assert plan_heads(bundle) == E.HeadsPlan("onnx", "cpu", "fp32")
    assert "leaves out" in plan_heads(bundle, device="cuda").note
    with pytest.raises(BundleError, match="no ONNX heads.*export-onnx"):
        plan_heads(old)


def test_folding_batchnorm_changes_nothing_but_rounding(tiny_bundle):
    for m in build_models(load_bundle(tiny_bundle)):
        x = torch.randn(3, 1, 20000)
        with torch.no_grad():
            assert torch.allclose(fold_batchnorm(m)(x), m(x), atol=1e-4)
        assert not any(isinstance(layer, torch.nn.BatchNorm1d) for layer in fold_batchnorm(m).net)


def _real_clips(pattern: str, every: int) -> np.ndarray:
    files = sorted((DATA / pattern).parent.glob((DATA / pattern).name))[::every]
    if not files:
        need_data(pattern.split("/")[0])  # a clear skip, or a failure where the data is required
        pytest.fail(f"no clips at {DATA / pattern}")
    return np.stack([model_clip(load_recording(f))[0] for f in files])


@pytest.mark.parametrize("bundle_name, pattern", [("tajweed4-waveform", "tajweed4/train/*.wav"), ("rules14-waveform", "rules14/ikhfa/*.opus")])
def test_fast_paths_match_the_fp32_reference_on_real_clips(bundle_name, pattern):
    """ONNX and torch fp32: every fold's probabilities within 1e-4 of the naive reference; bf16:
    the ensemble within the documented bound; the same verdicts throughout."""
    clips = _real_clips(pattern, every=17)
    bundle = load_bundle(bundled_models_dir() / bundle_name)
    ref = reference_fold_probabilities(bundle, clips).numpy()
    for runtime, precision, bound in (("onnx", "fp32", 1e-4), ("torch", "fp32", 1e-4), ("torch", "bf16", BF16_PROBABILITY_BOUND)):
        ens = Ensemble(bundle, device="cpu", precision=precision, runtime=runtime)
        got = ens.fold_probabilities(clips)
        ens.close()
        which = f"{runtime} {precision}"
        if precision == "fp32":
            assert np.abs(got - ref).max() <= bound, which
        # the bound is on what the user sees: the ensemble's probabilities (the mean over folds)
        assert np.abs(got.mean(0) - ref.mean(0)).max() <= bound, which
        assert np.array_equal(got.mean(0).argmax(-1), ref.mean(0).argmax(-1)), which


@pytest.mark.parametrize("bundle_name, pattern", [("tajweed4", "reciters5/train/*.wav"), ("rules14", "rules14/iqlab/*.opus")])
def test_onnx_heads_match_the_torch_heads_on_real_clips(bundle_name, pattern):
    """The shipped front-end bundles: the ONNX heads the app runs, against the fold models as
    trained in torch (BatchNorm unfolded) over the same encoder frames."""
    clips = _real_clips(pattern, every=23)
    bundle = load_bundle(bundled_models_dir() / bundle_name)
    ens = Ensemble(bundle, device="cpu")
    assert ens.runtime == "onnx"
    got = ens.fold_probabilities(clips)
    frames = torch.from_numpy(ens.encoder.encode(clips, pad_seconds=bundle.front_end.pad_seconds))  # as trained
    with torch.no_grad():
        ref = torch.stack([torch.softmax(m(frames) / bundle.temperature, -1) for m in build_models(bundle)]).numpy()
    assert np.abs(got - ref).max() <= 1e-4
    assert np.array_equal(got.mean(0).argmax(-1), ref.mean(0).argmax(-1))
    assert np.array_equal(got.argmax(-1), ref.argmax(-1))  # every fold's vote too


def test_cpu_workers_leave_other_threads_their_torch_threads(tiny_bundle):
    import threading

    ensemble = Ensemble.from_path(tiny_bundle, device="cpu", batch_size=4, runtime="torch")
    before = torch.get_num_threads()
    ensemble.analyse(recording_from_array(voice(2.0), 16000))
    seen = []
    t = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    t.start()
    t.join()
    assert seen == [before] and torch.get_num_threads() == before
    ensemble.close()
    assert not [t.name for t in threading.enumerate() if t.name.startswith("ensemble")]
    # an analysis that was queued behind close() still works, without starting threads again
    assert ensemble.analyse(recording_from_array(voice(2.0), 16000)).clip.probabilities.sum() == pytest.approx(1)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("ensemble")]


def test_cuda_failing_mid_run_falls_back_to_the_cpu_and_says_so(tiny_bundle):
    ensemble = Ensemble.from_path(tiny_bundle, device="cpu", batch_size=4, runtime="torch")
    rec = recording_from_array(voice(2.0), 16000)
    expected = ensemble.analyse(rec).clip.probabilities
    # as if CUDA had worked when the bundle loaded: the next transfer to it raises, for real,
    # on this machine (no driver) and on a GPU machine (the models are on the CPU)
    ensemble.heads.device = "cuda"
    got = ensemble.analyse(rec).clip.probabilities
    assert ensemble.device == "cpu" and ensemble.device_note.startswith("CUDA failed")
    assert np.allclose(got, expected, atol=1e-4)
