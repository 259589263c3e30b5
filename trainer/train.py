"""The k-fold training loop: one fold at a time, resumable, with atomic checkpoints.

The epoch kept is never chosen on the fold's validation clips (the teaching notebook's defect,
which flatters the score it then reports): either the last epoch of a fixed schedule
(`select: last`) or the best on an inner split of the fold's own training clips
(`select: inner`). Validation scores per epoch are recorded for the plots only.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from tajweed_desktop.core.common.atomic import atomic_path, atomic_write_text
from tajweed_desktop.core.model.torch_device import resolve_device
from tajweed_desktop.core.model.networks import CNN1D, FrameCNN1D

from .augment import augment
from .data import Dataset
from .features import inference_clip
from .folds import inner_split
from .metrics import classification_scores
from .recipe import Recipe

log = logging.getLogger(__name__)

KEPT_WEIGHTS = "kept.safetensors"  # the weights of the epoch kept (the last, or the inner split's best)


def keeps_epoch(select: str, inner_f1: float | None, kept_inner_f1: float) -> bool:
    """Whether this epoch replaces the one kept so far: every epoch under "last" (so the last is
    kept), under "inner" one that scores higher on the inner split than the one kept."""
    return select == "last" or inner_f1 > kept_inner_f1


@dataclass
class FoldResult:
    fold: int
    val_indices: list[int]
    val_logits: np.ndarray  # (n_val, classes) from the epoch kept
    epoch_kept: int
    history: list[dict]  # per epoch: train_loss, val_macro_f1 (recorded for the plots, never chosen by)

    def to_json(self) -> dict:
        return {
            "fold": self.fold,
            "val_indices": self.val_indices,
            "val_logits": self.val_logits.tolist(),
            "epoch_kept": self.epoch_kept,
            "history": self.history,
        }

    @classmethod
    def from_json(cls, d: dict) -> FoldResult:
        return cls(d["fold"], d["val_indices"], np.asarray(d["val_logits"]), d["epoch_kept"], d["history"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def training_step(model: torch.nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                  weight: torch.Tensor | None = None) -> float:
    """One optimiser step on one batch; returns the loss."""
    loss = torch.nn.functional.cross_entropy(model(x), y, weight=weight)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


@torch.inference_mode()
def predict_logits(model: torch.nn.Module, inputs: torch.Tensor, device: torch.device, batch: int = 32) -> np.ndarray:
    """inputs: (n, samples) clips for a CNN1D, or (n, dim, frames) encoder frames."""
    model.eval()
    if inputs.ndim == 2:
        inputs = inputs.unsqueeze(1)
    out = [model(inputs[i : i + batch].to(device)).float().cpu() for i in range(0, len(inputs), batch)]
    return torch.cat(out).numpy()


class RawExamples:
    """CNN1D inputs: the inference clip to score; each epoch a fresh augmentation to train on."""

    def __init__(self, ds: Dataset, recipe: Recipe):
        self.ds, self.cfg = ds, recipe.augment
        self._speech: dict[int, torch.Tensor] = {}

    def model(self, n_classes: int) -> torch.nn.Module:
        return CNN1D(n_classes)

    def scoring(self, idx: list[int]) -> torch.Tensor:
        return torch.stack([inference_clip(self.ds.recordings[i]) for i in idx])

    def training(self, ids: list[int], gen: torch.Generator) -> torch.Tensor:
        for i in ids:
            if i not in self._speech:  # trimmed once, augmented every epoch
                self._speech[i] = torch.from_numpy(self.ds.recordings[i].speech())
        return torch.stack([augment(self._speech[i], self.cfg, gen) for i in ids]).unsqueeze(1)


class FrameExamples:
    """FrameCNN1D inputs from `features.variant_frames`: variant 0 (the inference clip) to score;
    a random variant of each clip to train on, with a random run of frames zeroed."""

    def __init__(self, frames: torch.Tensor, recipe: Recipe):
        self.frames = frames  # (clips, variants, dim, frames)
        self.mask_p, self.mask_frames = recipe.frame_mask_p, recipe.frame_mask_frames

    def model(self, n_classes: int) -> torch.nn.Module:
        return FrameCNN1D(n_classes, dim=self.frames.shape[2])

    def scoring(self, idx: list[int]) -> torch.Tensor:
        return self.frames[idx, 0]

    def training(self, ids: list[int], gen: torch.Generator) -> torch.Tensor:
        variants = torch.randint(0, self.frames.shape[1], (len(ids),), generator=gen)
        x = self.frames[ids, variants].clone()
        if self.mask_p and self.mask_frames:
            n_frames = x.shape[-1]
            for row in range(len(ids)):
                if float(torch.rand((), generator=gen)) < self.mask_p:
                    width = int(torch.randint(1, self.mask_frames + 1, (), generator=gen))
                    start = int(torch.randint(0, n_frames - width + 1, (), generator=gen))
                    x[row, :, start : start + width] = 0.0
        return x


def train_fold(
    ds: Dataset,
    fold: int,
    train_idx: list[int],
    val_idx: list[int],
    recipe: Recipe,
    fold_dir: Path,
    seed: int = 42,
    device: torch.device | None = None,
    progress: bool = True,
    examples: RawExamples | FrameExamples | None = None,
) -> FoldResult:
    """Train one fold, resuming from `fold_dir/last.pt` if a previous run was interrupted.

    Only `train_idx` clips are ever trained on or used to choose the epoch; `val_idx` clips are
    scored."""
    device = device or resolve_device()[0]
    fold_dir.mkdir(parents=True, exist_ok=True)
    done = fold_dir / "result.json"
    if done.exists():
        return FoldResult.from_json(json.loads(done.read_text()))

    examples = examples or RawExamples(ds, recipe)
    n_classes = len(ds.labels)
    targets = torch.tensor(ds.targets)
    seed_everything(seed * 100 + fold)
    gen = torch.Generator().manual_seed(seed * 100 + fold)
    fit_idx, choose_idx = list(train_idx), []
    if recipe.select == "inner":
        fit_idx, choose_idx = inner_split(list(train_idx), ds.targets, recipe.inner_fraction, seed * 100 + fold)
    model = examples.model(n_classes).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=recipe.epochs)
    weight = None
    if recipe.class_weights:
        counts = torch.bincount(targets[fit_idx], minlength=n_classes).float().clamp(min=1)
        weight = (counts.sum() / (n_classes * counts)).to(device)
    history: list[dict] = []
    # the epoch kept: the last one (select "last"), or the best on the inner split (select "inner")
    kept_inner_f1, epoch_kept, kept_logits = -1.0, 0, None
    start = 0
    last = fold_dir / "last.pt"
    if last.exists():  # our own checkpoint: plain tensors and numbers, so weights_only loading works
        ck = torch.load(last, map_location="cpu", weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        gen.set_state(ck["generator"])
        torch.set_rng_state(ck["torch_rng"])
        history, start = ck["history"], ck["epoch"]
        kept_inner_f1, epoch_kept = ck["kept_inner_f1"], ck["epoch_kept"]
        kept_logits = ck["kept_logits"].numpy()
        log.info("fold %d: resuming after epoch %d", fold, start)

    val_inputs = examples.scoring(list(val_idx))
    choose_inputs = examples.scoring(choose_idx) if choose_idx else None
    val_targets = targets[val_idx].numpy()
    epochs = tqdm(range(start, recipe.epochs), desc=f"fold {fold}", unit="epoch", disable=not progress,
                  initial=start, total=recipe.epochs)
    for epoch in epochs:
        model.train()
        order = torch.randperm(len(fit_idx), generator=gen).tolist()
        losses = []
        batches = range(0, len(order), recipe.batch_size)
        for b in tqdm(batches, desc=f"epoch {epoch + 1}", unit="batch", leave=False, disable=not progress):
            ids = [fit_idx[j] for j in order[b : b + recipe.batch_size]]
            x = examples.training(ids, gen)
            losses.append(training_step(model, opt, x.to(device), targets[ids].to(device), weight))
        sched.step()
        logits = predict_logits(model, val_inputs, device)
        f1 = classification_scores(logits.argmax(1), val_targets, n_classes)["macro_f1"]  # reported, never chosen by
        entry = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "train_losses": losses, "val_macro_f1": f1}
        choice = None
        if choose_inputs is not None:
            choice = classification_scores(predict_logits(model, choose_inputs, device).argmax(1),
                                           targets[choose_idx].numpy(), n_classes)["macro_f1"]
            entry["inner_macro_f1"] = choice
        history.append(entry)
        epochs.set_postfix(loss=f"{np.mean(losses):.3f}", val_f1=f"{f1:.3f}")
        if keeps_epoch(recipe.select, choice, kept_inner_f1):
            kept_inner_f1 = choice if choice is not None else -1.0
            epoch_kept, kept_logits = epoch + 1, logits
            with atomic_path(fold_dir / KEPT_WEIGHTS) as tmp:
                save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(tmp))
        with atomic_path(last) as tmp:
            torch.save({
                "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "generator": gen.get_state(), "torch_rng": torch.get_rng_state(), "history": history,
                "epoch": epoch + 1, "kept_inner_f1": kept_inner_f1, "epoch_kept": epoch_kept,
                "kept_logits": torch.as_tensor(kept_logits),
            }, tmp)
    result = FoldResult(fold, list(val_idx), np.asarray(kept_logits), epoch_kept, history)
    atomic_write_text(done, json.dumps(result.to_json()))
    last.unlink(missing_ok=True)
    return result


def fold_state(fold_dir: Path) -> dict[str, torch.Tensor]:
    """The weights of the epoch kept."""
    return load_file(str(fold_dir / KEPT_WEIGHTS))
