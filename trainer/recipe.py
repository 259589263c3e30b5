"""A training recipe: a small JSON file of hyperparameters and augmentations."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tajweed_desktop.core.model.frontend import MAX_PAD_SECONDS, MIN_PAD_SECONDS, PAD_SECONDS

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
    pad_seconds: float = PAD_SECONDS  # the 4 s clip is encoded zero-padded to this (front-end recipes)
    frame_mask_p: float = 0.0
    frame_mask_frames: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def with_overrides(self, **kw) -> Recipe:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    def to_dict(self) -> dict:
        return asdict(self)


def _recipe_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / f"{name_or_path}.json"
        if not path.is_file():
            raise RecipeError(f"unknown --recipe {name_or_path!r}; choose one of {', '.join(recipe_names())} or a JSON file")
    return path


def _recipe_data(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """The recipe's settings; a `"base"` recipe (by name, in trainer/configs) gives those it does not set."""
    if path.resolve() in seen:
        raise RecipeError(f"--recipe {path}: its bases lead back to it")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecipeError(f"--recipe {path}: cannot read it ({exc})") from None
    data = {k: v for k, v in data.items() if not k.startswith("_")}
    base = data.pop("base", None)
    if base is None:
        return data
    inherited = _recipe_data(_recipe_path(str(base)), (*seen, path.resolve()))
    return {**inherited, **data, "augment": {**inherited.get("augment", {}), **data.get("augment", {})}}


def load_recipe(name_or_path: str) -> Recipe:
    """A recipe by name (`trainer/configs/<name>.json`) or by path."""
    path = _recipe_path(name_or_path)
    data = _recipe_data(path)
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
    if not MIN_PAD_SECONDS <= recipe.pad_seconds <= MAX_PAD_SECONDS:
        raise RecipeError(f"--recipe {path}: pad_seconds must be from {MIN_PAD_SECONDS:g} (the clip itself) "
                          f"to {MAX_PAD_SECONDS:g} (Whisper's window), not {recipe.pad_seconds}")
    return recipe
