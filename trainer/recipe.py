"""A training recipe: a small JSON file of hyperparameters and augmentations."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .augment import AugmentConfig

CONFIG_DIR = Path(__file__).parent / "configs"


SELECT_CHOICES = ("last", "inner")
FRONT_ENDS = ("none", "whisper-base")


class RecipeError(ValueError):
    """A recipe that does not exist or does not make sense (the message names it)."""


def recipe_names() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.json"))


@dataclass(frozen=True)
class Recipe:
    name: str = "default"
    epochs: int = 20
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    class_weights: bool = True
    # which epoch is kept: the "last" of the fixed schedule, or the best on an "inner" split of
    # the fold's own training clips; never the best on the fold being scored
    select: str = "last"
    inner_fraction: float = 0.15
    front_end: str = "none"  # "none": CNN1D on the raw waveform; "whisper-base": FrameCNN1D on its frames
    variants: int = 0  # augmented copies of each clip encoded once (front-end recipes)
    frame_mask_p: float = 0.0
    frame_mask_frames: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def with_overrides(self, **kw) -> Recipe:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    def to_dict(self) -> dict:
        return asdict(self)


def load_recipe(name_or_path: str) -> Recipe:
    """A recipe by name (`trainer/configs/<name>.json`) or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / f"{name_or_path}.json"
        if not path.is_file():
            raise RecipeError(f"unknown --recipe {name_or_path!r}; choose one of {', '.join(recipe_names())} or a JSON file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecipeError(f"--recipe {path}: cannot read it ({exc})") from None
    data = {k: v for k, v in data.items() if not k.startswith("_")}
    try:
        data["augment"] = AugmentConfig.from_dict(data.get("augment", {}))
        recipe = Recipe(name=path.stem, **data)
    except TypeError as exc:
        raise RecipeError(f"--recipe {path}: {exc}") from None
    if recipe.select not in SELECT_CHOICES:
        raise RecipeError(f"--recipe {path}: select must be one of {', '.join(SELECT_CHOICES)}, not {recipe.select!r} "
                          "(choosing the epoch on the fold being scored flatters the score)")
    if recipe.front_end not in FRONT_ENDS:
        raise RecipeError(f"--recipe {path}: front_end must be one of {', '.join(FRONT_ENDS)}, not {recipe.front_end!r}")
    return recipe
