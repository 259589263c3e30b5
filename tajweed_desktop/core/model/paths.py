"""Where the bundled model bundles live, in a source checkout and in an installed package."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_BUNDLE = "tajweed4"
_PACKAGE = Path(__file__).resolve().parents[2]  # tajweed_desktop/


def bundled_models_dir() -> Path:
    """`$TAJWEED_MODELS_DIR`, else the checkout's `assets/models`, else the package's `models`."""
    env = os.environ.get("TAJWEED_MODELS_DIR")
    if env:
        return Path(env)
    checkout = _PACKAGE.parent / "assets" / "models"
    return checkout if checkout.is_dir() else _PACKAGE / "models"


def bundled_bundles() -> list[Path]:
    root = bundled_models_dir()
    return sorted(p for p in root.glob("*") if (p / "model.json").is_file()) if root.is_dir() else []


def default_bundle_path() -> Path:
    return bundled_models_dir() / DEFAULT_BUNDLE


def no_bundle_help(path: Path) -> str:
    return (
        f"no model bundle in {path}. Train one with "
        f"`python -m trainer --data ../shared/data/tajweed4 --export assets/models/{DEFAULT_BUNDLE}` "
        "(see the README), or pass --model DIR"
    )
