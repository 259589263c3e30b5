"""Run a bundle's fold models together and turn their outputs into a verdict per rule."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from . import audio, frontend
from .bundle import Bundle, load_bundle
from .model import fold_batchnorm

log = logging.getLogger(__name__)

DEVICE_CHOICES = ("auto", "cpu", "cuda")
PRECISION_CHOICES = ("auto", "fp32", "bf16")
# bf16 against the fp32 reference: the largest difference in an ensemble probability measured on
# the real clips of both bundles is 0.003 (a single fold model's can reach 0.011); the tests hold
# the ensemble to this bound and to the same top rule (tests/core/test_ensemble.py).
BF16_PROBABILITY_BOUND = 0.01


def cpu_has_native_bf16() -> bool:
    """bf16 pays only where the CPU computes it natively (AVX512-BF16 or AMX); elsewhere oneDNN
    emulates it, slower than fp32."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(requested: str, device: torch.device) -> str:
    if requested not in PRECISION_CHOICES:
        raise ValueError(f"precision must be one of {', '.join(PRECISION_CHOICES)}, not {requested!r}")
    if requested != "auto":
        return requested
    return "bf16" if device.type == "cpu" and cpu_has_native_bf16() else "fp32"


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


def resolve_device(requested: str = "auto") -> tuple[torch.device, str | None]:
    """Pick the device; return it with a note for the user when the request could not be met."""
    if requested not in DEVICE_CHOICES:
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}, not {requested!r}")
    if requested == "cpu":
        return torch.device("cpu"), None
    if not torch.cuda.is_available():
        note = "CUDA was requested but is not available; using the CPU" if requested == "cuda" else None
        return torch.device("cpu"), note
    try:  # a driver that is present but broken fails here rather than mid-analysis
        torch.zeros(1, device="cuda").add_(1).cpu()
    except RuntimeError as exc:
        return torch.device("cpu"), f"CUDA failed ({str(exc).splitlines()[0]}); using the CPU"
    return torch.device("cuda"), None


def _usable_cores() -> int:
    """Cores this process may run on (a container or taskset can allow fewer than the machine has)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 16))


def _single_thread() -> None:
    """Make this worker thread's OpenMP (oneDNN, PyTorch's kernels) use one thread.

    torch.set_num_threads would also change the process-wide default that every thread adopts at
    its first parallel op (the trainer's too), so the limit is set on this thread's OpenMP only,
    with threadpoolctl, after PyTorch's per-thread initialisation (which would otherwise undo it)."""
    torch.get_num_threads()
    threadpool_limits(1, user_api="openmp")


class Ensemble:
    """The fold models of one bundle, averaged. Safe to call from several threads: forward
    passes (and a CUDA-to-CPU fallback) take turns on one lock.

    On the CPU the work is cut into (fold model, one clip) items run on one single-threaded worker
    per core (measured with bench/: for batches it beats PyTorch's own threads, whose batches of
    16 clips spill the caches; for one clip it is about as fast on a quiet machine and avoids the
    OpenMP barrier stalls of a busy shared one). BatchNorm is folded into the convolutions, and on
    CPUs with native bf16 the convolutions run in bf16 (`precision`); `BF16_PROBABILITY_BOUND`
    says how far that may move a probability. On CUDA: fp32 batches of `batch_size`.

    A bundle with a speech front end (`bundle.front_end`) runs each clip through the shared
    Whisper encoder first (CTranslate2, int8 on the CPU) and its small fold heads over the frames
    in fp32 batches: there the encoder is nearly all of the time."""

    def __init__(self, bundle: Bundle, device: str = "auto", batch_size: int = 16, precision: str = "auto"):
        self.bundle = bundle
        self.labels = tuple(bundle.labels)
        self.temperature = bundle.temperature
        self.thresholds = bundle.uncertainty
        self.batch_size = batch_size
        self.device, self.device_note = resolve_device(device)
        self.requested_precision = precision
        self.precision = resolve_precision(precision, self.device)
        self.encoder: frontend.WhisperEncoder | None = None
        if bundle.front_end is not None:
            on_gpu = self.device.type == "cuda" and frontend.cuda_available()
            self.encoder = frontend.shared_encoder("cuda" if on_gpu else "cpu")
            self.precision = f"{self.encoder.device.compute_type} encoder, fp32 heads"
        self.models = [fold_batchnorm(m).to(self.device) for m in bundle.build_models()]
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def from_path(cls, path: str | Path, device: str = "auto", batch_size: int = 16, precision: str = "auto") -> Ensemble:
        return cls(load_bundle(path), device=device, batch_size=batch_size, precision=precision)

    def _to_cpu(self, reason: str) -> None:
        log.warning("falling back to the CPU: %s", reason)
        self.device = torch.device("cpu")
        self.device_note = f"CUDA failed ({reason}); using the CPU"
        if self.encoder is None:
            self.precision = resolve_precision(self.requested_precision, self.device)
        self.models = [m.cpu() for m in self.models]

    def close(self) -> None:
        """End the worker threads (after any analysis in progress). Analyses still queued behind
        this call then run on their caller's thread, so no thread outlives a closed ensemble."""
        with self._lock:
            self._closed = True
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def warm_up(self) -> None:
        """One silent forward pass, so oneDNN builds its kernels before the user's first clip."""
        self.fold_probabilities(torch.zeros(1, audio.CLIP_SAMPLES))

    @torch.inference_mode()
    def fold_probabilities(self, clips: torch.Tensor) -> torch.Tensor:
        """clips (n, samples) -> calibrated softmax per fold, (folds, n, rules) on the CPU."""
        with self._lock:
            return self._fold_probabilities(clips)

    def _fold_probabilities(self, clips: torch.Tensor) -> torch.Tensor:
        if self.encoder is not None:  # encoder frames of every clip, then the heads over them
            if clips.shape[0] == 0:
                return torch.zeros(len(self.models), 0, len(self.labels))
            return self._batched(torch.from_numpy(self.encoder.encode(clips.detach().cpu().numpy())))
        if self.device.type == "cpu":
            return self._cpu_fold_probabilities(clips)
        return self._batched(clips.unsqueeze(1))

    def _batched(self, inputs: torch.Tensor) -> torch.Tensor:
        """Every fold model over `inputs` in batches of batch_size; CUDA failing mid-run moves
        the models to the CPU and goes on."""
        out = []
        for i in range(0, inputs.shape[0], self.batch_size):
            batch = inputs[i : i + self.batch_size]
            try:
                out.append(self._forward(batch))
            except RuntimeError as exc:
                if self.device.type != "cuda":
                    raise
                self._to_cpu(str(exc).splitlines()[0])
                out.append(self._forward(batch))
        if not out:
            return torch.zeros(len(self.models), 0, len(self.labels))
        return torch.cat(out, dim=1)

    def _forward(self, batch: torch.Tensor) -> torch.Tensor:
        x = batch.to(self.device)
        logits = torch.stack([m(x) for m in self.models])
        return torch.softmax(logits.float() / self.temperature, dim=-1).cpu()

    def _cpu_fold_probabilities(self, clips: torch.Tensor) -> torch.Tensor:
        if self._pool is None and not self._closed:
            self._pool = ThreadPoolExecutor(_usable_cores(), thread_name_prefix="ensemble", initializer=_single_thread)
        run_all = self._pool.map if self._pool is not None else map
        n = clips.shape[0]
        logits = torch.empty(len(self.models), n, len(self.labels))
        bf16 = self.precision == "bf16"

        def run(item: tuple[int, int]) -> None:
            f, i = item
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits[f, i] = self.models[f](clips[i].view(1, 1, -1))[0].float()

        list(run_all(run, [(f, i) for i in range(n) for f in range(len(self.models))]))
        return torch.softmax(logits / self.temperature, dim=-1)

    def prediction(self, fold_probs: torch.Tensor, active_seconds: float) -> Prediction:
        """The verdict on one input from its calibrated fold probabilities (folds, rules), as
        `fold_probabilities` gives them; public so that chunked callers (a long recording analysed
        with progress) build the same verdicts as `analyse_many`."""
        probs = fold_probs.mean(0).numpy().astype(np.float64)
        spread = fold_probs.std(0, unbiased=False).numpy().astype(np.float64)
        votes = tuple(self.labels[int(i)] for i in fold_probs.argmax(-1))
        top = int(np.argmax(probs))
        agreement = votes.count(self.labels[top]) / len(votes)
        t = self.thresholds
        reasons = []
        if active_seconds < t["min_active_seconds"]:
            reasons.append(f"too little sound ({active_seconds:.2f} s)")
        if probs[top] < t["min_confidence"]:
            reasons.append(f"low confidence ({probs[top]:.0%})")
        if agreement < t["min_agreement"]:
            reasons.append(f"fold models disagree ({votes.count(self.labels[top])} of {len(votes)} agree)")
        return Prediction(self.labels, probs, spread, votes, active_seconds, tuple(reasons))

    def analyse(self, recording: audio.Recording, timeline: bool = False, hop_seconds: float = 1.0) -> Analysis:
        return self.analyse_many([recording], timeline=timeline, hop_seconds=hop_seconds)[0]

    def analyse_many(
        self, recordings: list[audio.Recording], timeline: bool = False, hop_seconds: float = 1.0
    ) -> list[Analysis]:
        """Analyse several recordings with as few forward passes as possible."""
        inputs: list[torch.Tensor] = []
        active: list[float] = []
        spans: list[tuple[int, list[tuple[float, float]]]] = []
        for rec in recordings:
            first = len(inputs)
            n = rec.samples.shape[-1]
            clip, start, end = audio.model_clip(rec)
            inputs.append(clip)
            active.append(rec.active_seconds(start, end))
            windows: list[tuple[float, float]] = []
            if timeline and n > audio.CLIP_SAMPLES:
                for w in audio.sliding_windows(rec, hop_seconds):
                    inputs.append(w.samples)
                    active.append(rec.active_seconds(w.start, w.end))
                    windows.append((w.start, w.end))
            spans.append((first, windows))
        probs = self.fold_probabilities(torch.stack(inputs)) if inputs else None
        results = []
        for rec, (first, windows) in zip(recordings, spans):
            clip = self.prediction(probs[:, first], active[first])
            points = tuple(
                TimelinePoint(s, e, self.prediction(probs[:, first + 1 + j], active[first + 1 + j]))
                for j, (s, e) in enumerate(windows)
            )
            results.append(Analysis(rec.path, rec.duration, clip, points))
        return results
