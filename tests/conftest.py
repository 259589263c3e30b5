"""Shared fixtures: the real data in ../shared/data, a tiny bundle, synthetic signals."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TAJWEED_DATA", REPO.parent / "shared" / "data"))
LABELS4 = ["Idgham", "Ikhfa", "Iqlab", "Izhar"]


# CI sets this (.ci/run): there the data is always present, so a missing folder is a failure,
# never a quiet skip that leaves the run green with the real-data tests gone.
REQUIRE_DATA_ENV = "TAJWEED_REQUIRE_DATA"


def need_data(*parts: str) -> Path:
    p = DATA.joinpath(*parts)
    if not p.exists():
        message = f"real data not found at {p} (set TAJWEED_DATA to where ../shared/data is)"
        if os.environ.get(REQUIRE_DATA_ENV, "") not in ("", "0"):
            pytest.fail(f"{message}; {REQUIRE_DATA_ENV} is set, so the tests that need it fail instead of skipping",
                        pytrace=False)
        pytest.skip(message)
    return p


@pytest.fixture
def data_dir() -> Path:
    return need_data()


READ_ONLY = Path("/sys/tajweed-export.csv")  # sysfs refuses new files, even to root


def disk_fills_halfway(monkeypatch) -> None:
    """Writes put half their bytes on disk, then fail as a full disk does (ENOSPC): a fault
    injected, as no test machine has a disk to fill."""
    import errno

    real = Path.write_bytes

    def half_then_full(self, data):
        real(self, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", half_then_full)


VOICE_SOURCE = ("kaggle_samples", "train", "1.wav")  # 4 s of a reciter, sound from start to end


@functools.lru_cache(maxsize=1)
def _voice_source() -> np.ndarray:
    import soundfile as sf

    x, rate = sf.read(need_data(*VOICE_SOURCE), dtype="float32")
    assert rate == 16000 and x.ndim == 1
    loud = np.flatnonzero(np.abs(x) > 0.05 * np.abs(x).max())  # cut to its sound: no silence at either end
    x = x[loud[0] : loud[-1] + 1]
    return x / np.abs(x).max()


def voice(seconds: float = 1.0, rate: int = 16000, amp: float = 0.5, channels: int = 1) -> np.ndarray:
    """Real recitation (a Kaggle clip, repeated as needed), `seconds` long at `rate`, peak `amp`:
    what a synthetic tone no longer is, a voice the voice-activity model hears from start to end."""
    from scipy.signal import resample_poly

    src = _voice_source()
    n16 = int(round(seconds * 16000))
    x = np.tile(src, -(-n16 // len(src)))[:n16]
    if rate != 16000:
        g = np.gcd(rate, 16000)
        x = resample_poly(x, rate // g, 16000 // g)[: int(round(seconds * rate))]
    x = x - x.mean()  # no DC: the front end removes it, and tests compare samples exactly
    x = (amp * x / max(np.abs(x).max(), 1e-9)).astype(np.float32)
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x


def tone(freq: float = 440.0, seconds: float = 1.0, rate: int = 16000, amp: float = 0.5, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x


def random_states(n_labels: int, folds: int, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    from tajweed_desktop.core.model.networks import CNN1D

    states = []
    for k in range(folds):
        torch.manual_seed(seed + k)
        m = CNN1D(n_labels)
        with torch.no_grad():  # non-trivial batch-norm statistics, as a trained model has
            for mod in m.modules():
                if isinstance(mod, torch.nn.BatchNorm1d):
                    mod.running_var.uniform_(0.5, 2.0)
                    mod.running_mean.uniform_(-0.1, 0.1)
        states.append(m.state_dict())
    return states


@functools.lru_cache(maxsize=4)
def tiny_heads_onnx(n_labels: int, folds: int, seed: int = 0) -> bytes:
    """The ONNX heads of `random_states` (exported once per session: about a second each)."""
    from tajweed_desktop.core.model.bundle import new_card
    from tajweed_desktop.core.model.onnx_export import heads_onnx

    return heads_onnx(new_card("tiny", LABELS4[:n_labels] if n_labels <= 4 else [f"r{i}" for i in range(n_labels)]),
                      random_states(n_labels, folds, seed))


@pytest.fixture
def tiny_bundle(tmp_path) -> Path:
    """A raw-waveform bundle of random CNN1D folds, with its ONNX heads, as the trainer writes it."""
    from tajweed_desktop.core.model.bundle import new_card, save_bundle

    card = new_card("tiny", LABELS4, cross_validation={"macro_f1_mean": 0.0})
    return save_bundle(tmp_path / "tiny", card, random_states(4, 3), heads_onnx=tiny_heads_onnx(4, 3))
