"""Model bundles: one safetensors weights file per fold, the folds' heads as one ONNX graph
(`folds.onnx`, what the app runs on a CPU without torch) and a `model.json` model card.

Nothing in a bundle is ever unpickled: weights are safetensors and ONNX, and every file's sha256
is checked against the card before it is read. Loading needs no torch: the weights are read as
numpy arrays and checked against `architectures.state_shapes`.

Format 1 cards describe a CNN1D on the raw waveform. Format 2 cards may name a speech front end
(`front_end`, with the sha256 of its weights) and a FrameCNN1D over its frames; the card's
front end and normalisation are checked against what this version implements before loading.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from tajweed_desktop.core.audio.formats import CLIP_SECONDS, SAMPLE_RATE
from tajweed_desktop.core.audio.levels import COMPATIBLE_NORMALISATIONS, NORMALISATION
from tajweed_desktop.core.common.atomic import atomic_directory
from tajweed_desktop.core.common.errors import BundleError
from tajweed_desktop.core.common.hashing import sha256_of
from tajweed_desktop.core.model import frontend
from tajweed_desktop.core.model.architectures import ARCHITECTURE, state_shapes
from tajweed_desktop.core.model.card import (
    CARD_NAME,
    DEFAULT_UNCERTAINTY,
    MAX_CARD_BYTES,
    CardError,
    FoldFile,
    FrontEnd,
    ModelCard,
    OnnxFile,
    card_from_dict,
    parse_card,
)

FORMAT_VERSION = 2  # cards with a front end; raw-waveform cards are still written as 1
ONNX_FILE = "folds.onnx"
ONNX_OPSET = 17
# a fold head is 1-3 MB and the raw-waveform CNN1D 2 MB: a weights file far larger than this is
# not one of ours, and is refused by its size before it is read or hashed
MAX_WEIGHTS_BYTES = 256 << 20


@dataclass
class Bundle:
    """A loaded, verified bundle: the card, one state dict per fold (numpy arrays) and the
    folds' ONNX graph when the bundle has one (bundles exported before it have not)."""

    path: Path
    card: ModelCard
    fold_states: list[dict[str, np.ndarray]] = field(repr=False)
    onnx_path: Path | None = None

    @property
    def labels(self) -> list[str]:
        return list(self.card.labels)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def temperature(self) -> float:
        return self.card.calibration.temperature

    @property
    def uncertainty(self) -> dict[str, float]:
        u = self.card.uncertainty
        return {"min_confidence": u.min_confidence, "min_agreement": u.min_agreement,
                "min_active_seconds": u.min_active_seconds}

    @property
    def front_end(self) -> FrontEnd | None:
        """The speech front end the fold models read, or None for raw-waveform models."""
        return self.card.front_end

    @property
    def architecture(self) -> dict[str, Any]:
        return self.card.architecture or ARCHITECTURE


def new_card(
    name: str,
    labels: list[str],
    *,
    cross_validation: dict[str, Any] | None = None,
    training_data: dict[str, Any] | None = None,
    calibration: dict[str, Any] | None = None,
    uncertainty: dict[str, float] | None = None,
    extra: dict[str, Any] | None = None,
    front_end: dict[str, Any] | None = None,
    architecture: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A model card with everything the app needs to prepare audio exactly as in training."""
    card = {
        "format_version": FORMAT_VERSION if front_end is not None else 1,
        "name": name,
        "labels": list(labels),
        "sample_rate": SAMPLE_RATE,
        "clip_seconds": CLIP_SECONDS,
        "normalisation": dict(NORMALISATION),
        "architecture": dict(architecture or ARCHITECTURE),
        "cross_validation": cross_validation or {},
        "training_data": training_data or {},
        "calibration": calibration or {"temperature": 1.0},
        "uncertainty": {**DEFAULT_UNCERTAINTY, **(uncertainty or {})},
    }
    if front_end is not None:
        card["front_end"] = dict(front_end)
    card.update(extra or {})
    return card


def save_bundle(
    target: str | Path,
    card: dict[str, Any],
    fold_states: list[dict[str, Any]],
    report_dir: str | Path | None = None,
    heads_onnx: bytes | None = None,
) -> Path:
    """Write a bundle folder atomically: it appears complete at `target` or not at all.

    `fold_states` hold arrays (numpy, or CPU torch tensors). `report_dir`, when given, is copied
    in as `report/` (the training report behind the card). `heads_onnx` is the folds' graph
    (`trainer/onnx_export.py` makes it), written as ONNX_FILE with its sha256 in the card.
    """
    target = Path(target)
    card = card.to_dict() if isinstance(card, ModelCard) else dict(card)
    with atomic_directory(target) as tmp:
        if report_dir is not None:
            shutil.copytree(report_dir, tmp / "report", ignore=shutil.ignore_patterns("oof.csv"))
        folds = []
        for k, state in enumerate(fold_states, start=1):
            fname = f"fold{k}.safetensors"
            tensors = {key: np.asarray(t).copy(order="C") for key, t in state.items()}
            save_file(tensors, str(tmp / fname), metadata={"fold": str(k)})
            folds.append({"fold": k, "file": fname, "sha256": sha256_of(tmp / fname)})
        card["folds"] = folds
        card.pop("heads_onnx", None)
        if heads_onnx is not None:
            (tmp / ONNX_FILE).write_bytes(heads_onnx)
            card["heads_onnx"] = {
                "file": ONNX_FILE, "sha256": sha256_of(tmp / ONNX_FILE), "opset": ONNX_OPSET,
                "input": "frames (batch, 512, 200)" if card.get("front_end") else "clips (batch, 1, 64000)",
                "output": "logits (folds, batch, labels), BatchNorm folded, before the temperature",
            }
        try:  # never write a card this version would refuse to read
            card_from_dict(card)
        except CardError as exc:
            raise BundleError(target, str(exc)) from None
        (tmp / CARD_NAME).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def read_card(path: str | Path) -> ModelCard:
    """Read and check a bundle's model card (no weights loaded): typed and range-checked
    (`card.py`), then held to what this version prepares and computes."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError(path, "folder not found" if not path.exists() else "not a folder")
    card_path = path / CARD_NAME
    try:
        if card_path.stat().st_size > MAX_CARD_BYTES:
            raise BundleError(path, f"{CARD_NAME} is {card_path.stat().st_size / 2**20:.0f} MB; a model card is a few KB")
        card = parse_card(card_path.read_bytes())
    except FileNotFoundError:
        raise BundleError(path, f"{CARD_NAME} is missing") from None
    except OSError as exc:
        raise BundleError(path, f"{CARD_NAME} is unreadable ({exc})") from None
    except CardError as exc:
        raise BundleError(path, str(exc)) from None
    if card.sample_rate != SAMPLE_RATE or card.clip_seconds != CLIP_SECONDS:
        raise BundleError(path, "sample rate or clip length differ from what this app prepares")
    _check_preparation(path, card)
    return card


def _check_preparation(path: Path, card: ModelCard) -> None:
    """Refuse a bundle whose audio preparation or front end this version does not implement:
    it would be fed inputs unlike those it was trained on, and answer with confidence anyway."""
    norm = card.normalisation
    if norm is not None and norm.get("method") not in COMPATIBLE_NORMALISATIONS:
        raise BundleError(path, f"it was trained with level normalisation {norm.get('method')!r}, which this "
                                f"version does not implement ({NORMALISATION['method']!r})")
    arch = card.architecture or ARCHITECTURE
    fe = card.front_end
    if arch.get("name", "CNN1D") == "FrameCNN1D":
        if fe is None:
            raise BundleError(path, "its FrameCNN1D models need a front end, and the card names none")
        if fe.name != frontend.NAME or fe.weights_sha256 != frontend.WEIGHTS_SHA256:
            raise BundleError(path, f"it was trained on the front end {fe.name!r} with weights "
                                    f"{fe.weights_sha256[:16]}…; this version runs {frontend.NAME} "
                                    f"with {frontend.WEIGHTS_SHA256[:16]}… only")
        if fe.frames != frontend.FRAMES:
            raise BundleError(path, f"its heads read {fe.frames} encoder frames per clip; this version computes {frontend.FRAMES}")
        if not frontend.MIN_PAD_SECONDS <= fe.pad_seconds <= frontend.MAX_PAD_SECONDS:
            raise BundleError(path, f"its clips were encoded padded to {fe.pad_seconds:g} s; this version pads a "
                                    f"{frontend.MIN_PAD_SECONDS:g} s clip to at most {frontend.MAX_PAD_SECONDS:g} s")
    elif arch.get("name", "CNN1D") != "CNN1D":
        raise BundleError(path, f"unknown architecture {arch.get('name')!r}")
    elif fe is not None:
        raise BundleError(path, "a raw-waveform CNN1D cannot read a front end's frames")


def load_bundle(path: str | Path) -> Bundle:
    """Load a bundle, verifying every weights file's sha256 and shape against the card."""
    path = Path(path)
    card = read_card(path)
    n_labels = len(card.labels)
    arch = card.architecture or ARCHITECTURE
    try:
        expected = state_shapes(arch, n_labels)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise BundleError(path, f"{CARD_NAME} field architecture does not describe a model this version builds ({exc!r})") from None
    states = []
    for entry in card.folds:
        wpath = _verified_file(path, entry, ".safetensors")
        fname = wpath.name
        try:
            state = load_file(str(wpath))
        except (SafetensorError, OSError, ValueError) as exc:
            raise BundleError(path, f"weights file {fname} is unreadable ({exc})") from None
        if state.keys() != expected.keys():
            raise BundleError(path, f"weights file {fname} does not hold a {arch.get('name', 'CNN1D')}")
        for key, shape in expected.items():
            if state[key].shape != shape:
                raise BundleError(
                    path,
                    f"weights file {fname}: {key} has shape {tuple(state[key].shape)}, "
                    f"expected {shape} for {n_labels} labels",
                )
        states.append(state)
    onnx = card.heads_onnx
    return Bundle(path, card, states, _verified_file(path, onnx, ".onnx") if onnx is not None else None)


def _verified_file(path: Path, entry: FoldFile | OnnxFile, suffix: str) -> Path:
    """The bundle file a card entry names, once its size is plausible and its sha256 matches
    (the card has already checked that the name is a bare file name with this suffix)."""
    fname = entry.file
    wpath = path / fname
    try:
        st = os.stat(wpath)
    except FileNotFoundError:
        raise BundleError(path, f"weights file {fname} is missing") from None
    except OSError as exc:
        raise BundleError(path, f"weights file {fname} is unreadable ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise BundleError(path, f"weights file {fname} is not a regular file")
    if st.st_size > MAX_WEIGHTS_BYTES:  # before hashing: a 50 GB file is not read to find it is wrong
        raise BundleError(path, f"weights file {fname} is {st.st_size / 2**30:.1f} GB; fold weights are a few MB")
    if sha256_of(wpath) != entry.sha256:
        raise BundleError(path, f"weights file {fname} does not match its sha256 in {CARD_NAME} (damaged or changed)")
    return wpath
