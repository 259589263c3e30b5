"""Training throughput (clips per second through whole training steps) of the trainer against
a replica of the original notebook's loop on the same clips."""

from __future__ import annotations

import random

import soundfile as sf
import torch
import torchaudio.transforms as T

from tajweed_desktop.core.model.networks import CNN1D
from trainer.augment import augment, fixed_clip
from trainer.data import Dataset
from trainer.recipe import load_recipe
from trainer.train import training_step

from .common import interleaved_medians


def notebook_batch(paths: list, freq_mask: T.FrequencyMasking, time_mask: T.TimeMasking) -> torch.Tensor:
    """What the notebook's Dataset did per item, every epoch: read the file, augment each with
    p = 0.5 (volume, FrequencyMasking(30), TimeMasking(80)), mix to mono, centre crop / pad."""
    clips = []
    for p in paths:
        x, _ = sf.read(str(p), dtype="float32", always_2d=True)
        x = torch.from_numpy(x.T.copy())
        if random.random() < 0.5:
            x = x * 10 ** (random.uniform(-6, 6) / 20)
        if random.random() < 0.5:
            x = freq_mask(x)
        if random.random() < 0.5:
            x = time_mask(x)
        clips.append(fixed_clip(x.mean(0)))
    return torch.stack(clips).unsqueeze(1)


def run(ds: Dataset, repeats: int, recipe_name: str = "robust") -> list[dict]:
    recipe = load_recipe(recipe_name)
    n_classes = len(ds.labels)
    targets = torch.tensor(ds.targets)
    gen = torch.Generator().manual_seed(0)
    speech = [torch.from_numpy(r.speech()) for r in ds.recordings]
    ours_model, nb_model = CNN1D(n_classes).train(), CNN1D(n_classes).train()
    ours_opt = torch.optim.Adam(ours_model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    nb_opt = torch.optim.Adam(nb_model.parameters(), lr=3e-4, weight_decay=1e-4)
    freq_mask, time_mask = T.FrequencyMasking(30), T.TimeMasking(80)
    n = len(ds.items)

    def ours_step() -> None:
        ids = torch.randint(0, n, (recipe.batch_size,), generator=gen).tolist()
        x = torch.stack([augment(speech[i], recipe.augment, gen) for i in ids]).unsqueeze(1)
        training_step(ours_model, ours_opt, x, targets[ids])

    def notebook_step() -> None:
        ids = random.sample(range(n), 32)
        x = notebook_batch([ds.items[i].path for i in ids], freq_mask, time_mask)
        training_step(nb_model, nb_opt, x, targets[ids])

    t = interleaved_medians({"ours": ours_step, "notebook": notebook_step}, repeats)
    ours_rate, nb_rate = recipe.batch_size / t["ours"], 32 / t["notebook"]
    return [
        {"what": "training, notebook's loop (batch 32, reads files every epoch)", "value": f"{nb_rate:.1f} clips/s",
         "ratio": "1.00x", "target": ""},
        {"what": f"training, ours (recipe {recipe_name}, batch {recipe.batch_size})", "value": f"{ours_rate:.1f} clips/s",
         "ratio": f"{ours_rate / nb_rate:.2f}x the notebook", "target": ""},
    ]
