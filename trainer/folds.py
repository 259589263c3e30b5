"""Fold splits: stratified by rule (the recipe), grouped by reciter, one fold per voice, held-out
words, or one group held out. Byte-identical clips always land in the same fold."""

from __future__ import annotations

from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold, StratifiedKFold

import numpy as np

STRATEGIES = ("stratified", "grouped", "voices", "words", "holdout:<reciter>")


class SplitError(ValueError):
    """The split cannot be made on this data (the message says why and what would work)."""


def check_strategy(strategy: str, groups: list[str] | None = None, contexts: list[str | None] | None = None) -> None:
    """Refuse an unknown strategy, or one this data cannot support, before any training."""
    names = sorted(set(groups or []))
    if strategy in ("stratified", "grouped", "voices", "words"):
        if strategy in ("grouped", "voices") and groups is not None and len(names) < 2:
            raise SplitError(f"--split {strategy} needs at least two reciters; this data names {len(names)}")
        if strategy == "words" and contexts is not None and len({c for c in contexts if c}) < 2:
            raise SplitError("--split words needs data that names the words recited (reciters5's train.csv does)")
        return
    if strategy.startswith("holdout:"):
        held = strategy.split(":", 1)[1]
        if groups is not None and held not in names:
            raise SplitError(f"--split holdout:{held}: no reciter {held!r} in this data; reciters: {', '.join(names)}")
        return
    raise SplitError(f"unknown --split {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def _duplicate_groups(same_clip: list[str] | None, n: int) -> np.ndarray | None:
    """One group id per distinct clip content, or None when every clip is distinct."""
    if same_clip is None or len(set(same_clip)) == n:
        return None
    ids = {h: i for i, h in enumerate(dict.fromkeys(same_clip))}
    return np.array([ids[h] for h in same_clip])


def make_folds(
    targets: list[int],
    groups: list[str],
    k: int = 5,
    strategy: str = "stratified",
    seed: int = 42,
    contexts: list[str | None] | None = None,
    same_clip: list[str] | None = None,
) -> list[tuple[list[int], list[int]]]:
    """(train indices, validation indices) per fold.

    strategy: "stratified" (StratifiedKFold, shuffled, as in the notebook), "grouped" (no reciter
    in both training and validation), "voices" (one fold per reciter: leave one voice out),
    "words" (no word context in both; clips whose words are unknown only ever train), or
    "holdout:<group>" (train on the others, test on it). `same_clip` (a content hash per clip)
    keeps byte-identical clips in one fold, so no clip is scored by a model trained on its copy.
    """
    check_strategy(strategy, groups, contexts)
    y = np.asarray(targets)
    idx = np.arange(len(y))
    dups = _duplicate_groups(same_clip, len(y))
    if strategy == "stratified":
        if dups is None:
            splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(idx, y)
        else:
            splits = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(idx, y, dups)
    elif strategy == "grouped":
        n_groups = len(set(groups))
        splits = StratifiedGroupKFold(n_splits=min(k, n_groups), shuffle=True, random_state=seed).split(idx, y, groups)
    elif strategy == "voices":
        splits = LeaveOneGroupOut().split(idx, y, groups)
    elif strategy == "words":
        known = np.array([c is not None for c in contexts])
        sub = idx[known]
        ctx = np.array([c for c in contexts if c is not None])
        n_ctx = len(set(ctx))
        inner = StratifiedGroupKFold(n_splits=min(k, n_ctx), shuffle=True, random_state=seed).split(sub, y[sub], ctx)
        always = idx[~known]
        splits = [(np.concatenate([always, sub[tr]]), sub[va]) for tr, va in inner]
    else:
        held = strategy.split(":", 1)[1]
        test = idx[np.asarray(groups) == held]
        splits = [(idx[np.asarray(groups) != held], test)]
    folds = [(sorted(map(int, tr)), sorted(map(int, va))) for tr, va in splits]
    if dups is not None:  # grouped, voices, words and holdout splits keep copies together only by chance
        folds = [(sorted(set(tr) - _copies_of(va, dups)), va) for tr, va in folds]
    return folds


def _copies_of(val: list[int], dups: np.ndarray) -> set[int]:
    """Every clip whose content equals a validation clip's (the validation clips included)."""
    held = set(dups[val].tolist())
    return {i for i, g in enumerate(dups.tolist()) if g in held}


def inner_split(train_idx: list[int], targets: list[int], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Part of a fold's training clips set aside to choose the epoch on, so the choice never
    looks at the fold's validation clips: (clips to train on, clips to choose by)."""
    from sklearn.model_selection import train_test_split

    y = np.asarray(targets)[train_idx]
    counts = np.bincount(y)
    stratify = y if counts[counts > 0].min() >= 2 else None
    fit, choose = train_test_split(np.asarray(train_idx), test_size=fraction, random_state=seed, stratify=stratify)
    return sorted(map(int, fit)), sorted(map(int, choose))
