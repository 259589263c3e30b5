"""Fold splits: stratified by rule (the recipe), grouped by reciter, or one group held out."""

from __future__ import annotations

from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

import numpy as np


def make_folds(
    targets: list[int], groups: list[str], k: int = 5, strategy: str = "stratified", seed: int = 42
) -> list[tuple[list[int], list[int]]]:
    """(train indices, validation indices) per fold.

    strategy: "stratified" (StratifiedKFold, shuffled, as in the notebook), "grouped" (no reciter
    in both training and validation), or "holdout:<group>" (train on the others, test on it).
    """
    y = np.asarray(targets)
    idx = np.arange(len(y))
    if strategy == "stratified":
        splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(idx, y)
    elif strategy == "grouped":
        n_groups = len(set(groups))
        if n_groups < 2:
            raise ValueError("grouped folds need at least two reciters; this data names fewer")
        splits = StratifiedGroupKFold(n_splits=min(k, n_groups), shuffle=True, random_state=seed).split(idx, y, groups)
    elif strategy.startswith("holdout:"):
        held = strategy.split(":", 1)[1]
        test = idx[np.asarray(groups) == held]
        if len(test) == 0:
            raise ValueError(f"no clips belong to the group {held!r}")
        splits = [(idx[np.asarray(groups) != held], test)]
    else:
        raise ValueError(f"unknown fold strategy {strategy!r}")
    return [(sorted(map(int, tr)), sorted(map(int, va))) for tr, va in splits]
