"""A training recipe: a small JSON file of hyperparameters and augmentations."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .augment import AugmentConfig

CONFIG_DIR = Path(__file__).parent / "configs"


@dataclass(frozen=True)
class Recipe:
    name: str = "default"
    epochs: int = 20
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    class_weights: bool = True
    select: str = "best"  # keep the epoch with the best validation macro-F1, or the "last" one
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
    data = json.loads(path.read_text(encoding="utf-8"))
    data = {k: v for k, v in data.items() if not k.startswith("_")}
    data["augment"] = AugmentConfig.from_dict(data.get("augment", {}))
    if data.get("select", "best") not in ("best", "last"):
        raise ValueError(f"{path}: select must be 'best' or 'last'")
    return Recipe(name=path.stem, **data)
