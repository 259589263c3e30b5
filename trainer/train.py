"""The k-fold training loop: one fold at a time, resumable, with atomic checkpoints."""

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

from tajweed_desktop.core.atomic import atomic_path, atomic_write_text
from tajweed_desktop.core.audio import model_clip
from tajweed_desktop.core.ensemble import resolve_device
from tajweed_desktop.core.model import CNN1D

from .augment import augment
from .data import Dataset
from .metrics import classification_scores
from .recipe import Recipe

log = logging.getLogger(__name__)


@dataclass
class FoldResult:
    fold: int
    val_indices: list[int]
    val_logits: np.ndarray  # (n_val, classes) from the selected epoch
    selected_epoch: int
    history: list[dict]  # per epoch: train_loss, val_macro_f1

    @property
    def val_macro_f1(self) -> float:
        return self.history[self.selected_epoch - 1]["val_macro_f1"]

    def to_json(self) -> dict:
        return {
            "fold": self.fold,
            "val_indices": self.val_indices,
            "val_logits": self.val_logits.tolist(),
            "selected_epoch": self.selected_epoch,
            "history": self.history,
        }

    @classmethod
    def from_json(cls, d: dict) -> FoldResult:
        return cls(d["fold"], d["val_indices"], np.asarray(d["val_logits"]), d["selected_epoch"], d["history"])


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
def predict_logits(model: torch.nn.Module, clips: torch.Tensor, device: torch.device, batch: int = 32) -> np.ndarray:
    model.eval()
    out = [model(clips[i : i + batch].unsqueeze(1).to(device)).float().cpu() for i in range(0, len(clips), batch)]
    return torch.cat(out).numpy()


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
) -> FoldResult:
    """Train one fold, resuming from `fold_dir/last.pt` if a previous run was interrupted."""
    device = device or resolve_device()[0]
    fold_dir.mkdir(parents=True, exist_ok=True)
    done = fold_dir / "result.json"
    if done.exists():
        return FoldResult.from_json(json.loads(done.read_text()))

    n_classes = len(ds.labels)
    targets = torch.tensor(ds.targets)
    seed_everything(seed * 100 + fold)
    gen = torch.Generator().manual_seed(seed * 100 + fold)
    model = CNN1D(n_classes).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=recipe.epochs)
    weight = None
    if recipe.class_weights:
        counts = torch.bincount(targets[train_idx], minlength=n_classes).float().clamp(min=1)
        weight = (counts.sum() / (n_classes * counts)).to(device)
    history: list[dict] = []
    best_f1, best_epoch, best_logits = -1.0, 0, None
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
        best_f1, best_epoch = ck["best_f1"], ck["best_epoch"]
        best_logits = ck["best_logits"].numpy()
        log.info("fold %d: resuming after epoch %d", fold, start)

    val_clips = torch.stack([model_clip(ds.recordings[i])[0] for i in val_idx])
    speech = {i: ds.recordings[i].speech() for i in train_idx}  # trimmed once, augmented every epoch
    val_targets = targets[val_idx].numpy()
    epochs = tqdm(range(start, recipe.epochs), desc=f"fold {fold}", unit="epoch", disable=not progress,
                  initial=start, total=recipe.epochs)
    for epoch in epochs:
        model.train()
        order = torch.randperm(len(train_idx), generator=gen).tolist()
        losses = []
        batches = range(0, len(order), recipe.batch_size)
        for b in tqdm(batches, desc=f"epoch {epoch + 1}", unit="batch", leave=False, disable=not progress):
            ids = [train_idx[j] for j in order[b : b + recipe.batch_size]]
            x = torch.stack([augment(speech[i], recipe.augment, gen) for i in ids]).unsqueeze(1)
            losses.append(training_step(model, opt, x.to(device), targets[ids].to(device), weight))
        sched.step()
        logits = predict_logits(model, val_clips, device)
        f1 = classification_scores(logits.argmax(1), val_targets, n_classes)["macro_f1"]
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "train_losses": losses, "val_macro_f1": f1})
        epochs.set_postfix(loss=f"{np.mean(losses):.3f}", val_f1=f"{f1:.3f}")
        if recipe.select == "last" or f1 > best_f1:
            best_f1, best_epoch, best_logits = f1, epoch + 1, logits
            with atomic_path(fold_dir / "best.safetensors") as tmp:
                save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(tmp))
        with atomic_path(last) as tmp:
            torch.save({
                "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "generator": gen.get_state(), "torch_rng": torch.get_rng_state(), "history": history,
                "epoch": epoch + 1, "best_f1": best_f1, "best_epoch": best_epoch,
                "best_logits": torch.as_tensor(best_logits),
            }, tmp)
    result = FoldResult(fold, list(val_idx), np.asarray(best_logits), best_epoch, history)
    atomic_write_text(done, json.dumps(result.to_json()))
    last.unlink(missing_ok=True)
    return result


def fold_state(fold_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(fold_dir / "best.safetensors"))
