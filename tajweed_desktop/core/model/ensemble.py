"""Run a bundle's fold models together and turn their outputs into a verdict per rule.

No torch here: on a CPU the heads run through ONNX Runtime (`onnx_heads.py`); `torch_heads.py`
is imported only for CUDA, for an explicit bf16 request, or for a bundle without ONNX heads."""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio.clips import model_clip, sliding_windows
from tajweed_desktop.core.audio.formats import CLIP_SAMPLES
from tajweed_desktop.core.audio.recording import Recording
from tajweed_desktop.core.common.errors import BundleError
from tajweed_desktop.core.model import frontend
from tajweed_desktop.core.model.bundle import Bundle, load_bundle
from tajweed_desktop.core.model.devices import DEVICE_CHOICES, PRECISION_CHOICES

log = logging.getLogger(__name__)

RUNTIME_CHOICES = ("auto", "onnx", "torch")
# bf16 against the fp32 reference: the largest difference in an ensemble probability measured on
# the real clips of both bundles is 0.003 (a single fold model's can reach 0.011); the tests hold
# the ensemble to this bound and to the same top rule (tests/core/model/test_ensemble.py).
BF16_PROBABILITY_BOUND = 0.01
NO_TORCH = "PyTorch, which this installation leaves out"


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


@dataclass(frozen=True)
class HeadsPlan:
    """Which runtime runs the fold heads, on which device, and what to tell the user."""

    runtime: str  # "onnx" or "torch"
    device: str  # "cpu", or for torch "auto"/"cuda" (torch_device.resolve_device decides)
    precision: str
    note: str | None = None


def plan_heads(bundle: Bundle, device: str = "auto", precision: str = "auto", runtime: str = "auto") -> HeadsPlan:
    """Decide without importing torch: a GPU (as CTranslate2 sees it) and torch installed mean
    the torch heads; so does an explicit bf16 request or a bundle without ONNX heads (when torch
    is there); everything else is ONNX Runtime on the CPU, in fp32."""
    for value, choices, what in ((device, DEVICE_CHOICES, "device"), (precision, PRECISION_CHOICES, "precision"),
                                 (runtime, RUNTIME_CHOICES, "runtime")):
        if value not in choices:
            raise ValueError(f"{what} must be one of {', '.join(choices)}, not {value!r}")
    has_torch = torch_installed()
    fp = "bf16" if precision == "bf16" else "fp32"
    if runtime == "torch" or (runtime == "auto" and device != "cpu" and has_torch and frontend.cuda_available()):
        if not has_torch:
            raise BundleError(bundle.path, f"the torch runtime needs {NO_TORCH}")
        return HeadsPlan("torch", device, fp)
    notes = []
    if device == "cuda":
        notes.append("CUDA was requested but is not available; using the CPU" if has_torch
                     else f"CUDA needs {NO_TORCH}; using the CPU")
    if runtime == "auto" and has_torch and (fp == "bf16" or bundle.onnx_path is None):
        return HeadsPlan("torch", "cpu", fp, "; ".join(notes) or None)
    if bundle.onnx_path is None:
        raise BundleError(bundle.path, f"it has no ONNX heads, and running it without them needs {NO_TORCH} "
                                       f"(add them with `python -m trainer export-onnx {bundle.path}`)")
    if fp == "bf16":
        notes.append("bf16 runs only with PyTorch; using fp32")
    return HeadsPlan("onnx", "cpu", "fp32", "; ".join(notes) or None)


@dataclass(frozen=True)
class Prediction:
    """The ensemble's verdict on one 4 s input."""

    labels: tuple[str, ...]
    probabilities: np.ndarray  # (rules,) mean over folds of the calibrated softmax; sums to 1
    spread: np.ndarray  # (rules,) standard deviation of that probability across folds
    fold_votes: tuple[str, ...]  # each fold model's top rule
    active_seconds: float
    uncertain_reasons: tuple[str, ...]

    @property
    def top_index(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def top_rule(self) -> str:
        return self.labels[self.top_index]

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.top_index])

    @property
    def agreement(self) -> float:
        """Fraction of fold models whose own top rule is the ensemble's top rule."""
        return self.fold_votes.count(self.top_rule) / len(self.fold_votes)

    @property
    def uncertain(self) -> bool:
        return bool(self.uncertain_reasons)

    def as_dict(self) -> dict[str, float]:
        return {label: float(p) for label, p in zip(self.labels, self.probabilities)}


@dataclass(frozen=True)
class TimelinePoint:
    start: float
    end: float
    prediction: Prediction


@dataclass(frozen=True)
class Analysis:
    """Everything known about one recording: the clip verdict and, for long ones, a timeline."""

    path: Path | None
    duration: float
    clip: Prediction
    timeline: tuple[TimelinePoint, ...] = ()


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def verdict(labels: tuple[str, ...], thresholds: dict, fold_probs: np.ndarray, active_seconds: float) -> Prediction:
    """The verdict on one input from its calibrated fold probabilities (folds, rules) and the
    card's uncertainty thresholds: the mean over folds, "uncertain" when there is too little sound,
    the top probability is low or too few fold models agree. Module-level so the trainer measures
    the very rule the app applies."""
    fold_probs = np.asarray(fold_probs, np.float64)
    probs = fold_probs.mean(0)
    spread = fold_probs.std(0)
    votes = tuple(labels[int(i)] for i in fold_probs.argmax(-1))
    top = int(np.argmax(probs))
    agreement = votes.count(labels[top]) / len(votes)
    t = thresholds
    reasons = []
    if active_seconds < t["min_active_seconds"]:
        reasons.append(f"too little sound ({active_seconds:.2f} s)")
    if probs[top] < t["min_confidence"]:
        reasons.append(f"low confidence ({probs[top]:.0%})")
    if agreement < t["min_agreement"]:
        reasons.append(f"fold models disagree ({votes.count(labels[top])} of {len(votes)} agree)")
    return Prediction(tuple(labels), probs, spread, votes, active_seconds, tuple(reasons))


class Ensemble:
    """The fold models of one bundle, averaged. Safe to call from several threads: forward
    passes take turns on one lock.

    A bundle with a speech front end (`bundle.front_end`) runs each clip through the shared
    Whisper encoder first (CTranslate2, int8 on the CPU) and its small fold heads over the frames:
    there the encoder is nearly all of the time. The heads run as `plan_heads` decides: ONNX
    Runtime on the CPU, PyTorch on CUDA. Probabilities are the softmax of the logits over the
    card's temperature, computed here for both runtimes alike."""

    def __init__(self, bundle: Bundle, device: str = "auto", batch_size: int = 16, precision: str = "auto",
                 runtime: str = "auto"):
        self.bundle = bundle
        self.labels = tuple(bundle.labels)
        self.temperature = bundle.temperature
        self.thresholds = bundle.uncertainty
        self.batch_size = batch_size
        plan = plan_heads(bundle, device, precision, runtime)
        if plan.runtime == "torch":
            from tajweed_desktop.core.model import (  # the one place torch enters inference
                torch_device,
                torch_heads,
            )

            dev, note = torch_device.resolve_device(plan.device)
            self.heads = torch_heads.TorchHeads(bundle, dev, plan.precision, plan.note or note)
        else:
            from tajweed_desktop.core.model.onnx_heads import OnnxHeads

            self.heads = OnnxHeads(bundle)
            self.heads.device_note = plan.note
        self.runtime = plan.runtime
        self.encoder: frontend.WhisperEncoder | None = None
        self.pad_seconds = frontend.PAD_SECONDS  # the padding the heads were trained on (the card's)
        if bundle.front_end is not None:
            self.pad_seconds = bundle.front_end.pad_seconds
            on_gpu = self.heads.device == "cuda" and frontend.cuda_available()
            self.encoder = frontend.shared_encoder("cuda" if on_gpu else "cpu")
        self._lock = threading.Lock()

    @classmethod
    def from_path(cls, path: str | Path, device: str = "auto", batch_size: int = 16, precision: str = "auto",
                  runtime: str = "auto") -> Ensemble:
        return cls(load_bundle(path), device=device, batch_size=batch_size, precision=precision, runtime=runtime)

    @property
    def device(self) -> str:
        """"cpu" or "cuda": where the heads run now (CUDA failing mid-run moves them to the CPU)."""
        return self.heads.device

    @property
    def device_note(self) -> str | None:
        return self.heads.device_note

    @property
    def precision(self) -> str:
        heads = f"{self.heads.precision} heads ({'ONNX Runtime' if self.runtime == 'onnx' else 'PyTorch'})"
        return heads if self.encoder is None else f"{self.encoder.device.compute_type} encoder, {heads}"

    def close(self) -> None:
        """End the worker threads (after any analysis in progress)."""
        with self._lock:
            self.heads.close()

    def warm_up(self) -> None:
        """One silent forward pass, so the runtimes build their kernels before the user's first clip."""
        self.fold_probabilities(np.zeros((1, CLIP_SAMPLES), np.float32))

    def fold_probabilities(self, clips: np.ndarray) -> np.ndarray:
        """clips (n, samples) -> calibrated softmax per fold, (folds, n, rules), float64."""
        clips = np.asarray(clips, dtype=np.float32)
        with self._lock:
            if self.encoder is not None:  # encoder frames of every clip, then the heads over them
                inputs = self.encoder.encode(clips, pad_seconds=self.pad_seconds) if clips.shape[0] else np.zeros((0, frontend.DIM, frontend.FRAMES), np.float32)
            else:
                inputs = clips[:, None, :]
            return softmax(self.heads.logits(inputs, self.batch_size), self.temperature)

    def prediction(self, fold_probs: np.ndarray, active_seconds: float) -> Prediction:
        """The verdict on one input from its calibrated fold probabilities (folds, rules), as
        `fold_probabilities` gives them; public so that chunked callers (a long recording analysed
        with progress) build the same verdicts as `analyse_many`."""
        return verdict(self.labels, self.thresholds, fold_probs, active_seconds)

    def analyse(self, recording: Recording, timeline: bool = False, hop_seconds: float = 1.0) -> Analysis:
        return self.analyse_many([recording], timeline=timeline, hop_seconds=hop_seconds)[0]

    def analyse_many(
        self, recordings: list[Recording], timeline: bool = False, hop_seconds: float = 1.0
    ) -> list[Analysis]:
        """Analyse several recordings with as few forward passes as possible."""
        inputs: list[np.ndarray] = []
        active: list[float] = []
        spans: list[tuple[int, list[tuple[float, float]]]] = []
        for rec in recordings:
            first = len(inputs)
            n = rec.samples.shape[-1]
            clip, start, end = model_clip(rec)
            inputs.append(clip)
            active.append(rec.active_seconds(start, end))
            windows: list[tuple[float, float]] = []
            if timeline and n > CLIP_SAMPLES:
                for w in sliding_windows(rec, hop_seconds):
                    inputs.append(w.samples)
                    active.append(rec.active_seconds(w.start, w.end))
                    windows.append((w.start, w.end))
            spans.append((first, windows))
        probs = self.fold_probabilities(np.stack(inputs)) if inputs else None
        results = []
        for rec, (first, windows) in zip(recordings, spans):
            clip = self.prediction(probs[:, first], active[first])
            points = tuple(
                TimelinePoint(s, e, self.prediction(probs[:, first + 1 + j], active[first + 1 + j]))
                for j, (s, e) in enumerate(windows)
            )
            results.append(Analysis(rec.path, rec.duration, clip, points))
        return results
