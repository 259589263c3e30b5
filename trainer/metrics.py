"""Scores: macro-F1 (torchmetrics, as in the notebook), per-rule F1, confusion, and the pieces of
calibration, each written once: the temperature (scipy's bounded scalar minimiser), the
calibration error (torchmetrics), the reliability bins, the uncertainty threshold, and the
cross-fitting that gives each voice (or fold) a temperature and threshold fitted on the others.
`calibration.py` puts them together for the report and the bundle."""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import minimize_scalar
from torchmetrics.functional.classification import (
    multiclass_calibration_error,
    multiclass_confusion_matrix,
    multiclass_f1_score,
)

from tajweed_desktop.core.model.ensemble import softmax

ECE_BINS = 10
TEMPERATURE_BOUNDS = (0.05, 20.0)
SURE_PRECISION = 0.9  # verdicts not marked uncertain should be right at least this often
CONFIDENCE_GRID = np.round(np.arange(0.40, 0.995, 0.01), 2)

__all__ = ["softmax"]  # the core's, the one the app applies the temperature with


def classification_scores(preds: np.ndarray | list[int], targets: np.ndarray | list[int], n_classes: int) -> dict:
    p = torch.as_tensor(np.asarray(preds), dtype=torch.long)
    t = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    return {
        "macro_f1": float(multiclass_f1_score(p, t, num_classes=n_classes, average="macro")),
        "per_rule_f1": multiclass_f1_score(p, t, num_classes=n_classes, average=None).tolist(),
        "accuracy": float((p == t).float().mean()) if len(t) else 0.0,
        "confusion": multiclass_confusion_matrix(p, t, num_classes=n_classes).tolist(),
    }


def expected_calibration_error(probs: np.ndarray, targets: np.ndarray, bins: int = ECE_BINS) -> float:
    """Weighted mean |accuracy - confidence| over equal-width bins of the top probability."""
    if len(targets) == 0:
        return 0.0
    return float(multiclass_calibration_error(torch.as_tensor(probs, dtype=torch.float64),
                                              torch.as_tensor(np.asarray(targets), dtype=torch.long),
                                              num_classes=probs.shape[1], n_bins=bins, norm="l1"))


def reliability(probs: np.ndarray, targets: np.ndarray, bins: int = ECE_BINS) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) per non-empty bin, for the reliability diagram: the
    bins `expected_calibration_error` weighs (tests/trainer check the two agree)."""
    conf = probs.max(1)
    correct = probs.argmax(1) == targets
    # [lo, hi) as torchmetrics bins them (a confidence of exactly 1 gets a bin of its own)
    which = np.searchsorted(np.linspace(0, 1, bins + 1), conf, side="right") - 1
    return [(float(conf[which == b].mean()), float(correct[which == b].mean()), int((which == b).sum()))
            for b in range(bins + 1) if (which == b).any()]


def fit_temperature(logits: np.ndarray, targets: np.ndarray, bounds: tuple[float, float] = TEMPERATURE_BOUNDS) -> float:
    """The temperature within `bounds` that minimises the negative log-likelihood of `logits`
    (scipy's bounded scalar minimiser, over log T so both ends are searched alike)."""
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(targets)

    def nll(log_t: float) -> float:
        z = x / np.exp(log_t)
        z = z - z.max(1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(y)), y]))

    res = minimize_scalar(nll, bounds=(np.log(bounds[0]), np.log(bounds[1])), method="bounded",
                          options={"xatol": 1e-6})
    return float(np.exp(res.x))


def threshold_for_precision(probs: np.ndarray, targets: np.ndarray, precision: float = SURE_PRECISION) -> float:
    """The lowest confidence threshold at which verdicts at or above it are right at least
    `precision` of the time on these clips (the grid's top when none is)."""
    conf = probs.max(1)
    correct = probs.argmax(1) == targets
    for t in CONFIDENCE_GRID:
        sure = conf >= t
        if sure.any() and correct[sure].mean() >= precision:
            return float(t)
    return float(CONFIDENCE_GRID[-1])


def cross_fit(logits: np.ndarray, targets: np.ndarray, units: list[str],
              precision: float = SURE_PRECISION) -> dict[str, dict]:
    """For each unit (a voice, or a fold): the temperature and the uncertainty threshold fitted on
    the *other* units' clips only, so what is measured on its own clips was not fitted on them.
    {unit: {"temperature", "threshold"}}; a unit with no others gets 1.0 and the grid's top."""
    units_arr = np.asarray(units)
    out = {}
    for u in dict.fromkeys(units):
        others = units_arr != u
        if not others.any():
            out[str(u)] = {"temperature": 1.0, "threshold": float(CONFIDENCE_GRID[-1])}
            continue
        t = fit_temperature(logits[others], targets[others])
        out[str(u)] = {"temperature": t,
                       "threshold": threshold_for_precision(softmax(logits[others], t), targets[others], precision)}
    return out


def cross_fitted_probabilities(logits: np.ndarray, units: list[str], fits: dict[str, dict]) -> np.ndarray:
    """Each unit's clips through the softmax at the temperature fitted without them."""
    units_arr = np.asarray(units)
    probs = np.empty(logits.shape, dtype=np.float64)
    for u, fit in fits.items():
        mine = units_arr == u
        probs[mine] = softmax(logits[mine], fit["temperature"])
    return probs


def sure_verdicts(probs: np.ndarray, targets: np.ndarray, min_confidence: float | np.ndarray,
                  agree: np.ndarray | None = None) -> dict:
    """How often a verdict not marked uncertain is right. `min_confidence` is one threshold or one
    per clip; `agree` (optional) marks the clips whose fold models agree enough (the ensemble's
    second rule)."""
    conf = probs.max(1)
    sure = conf >= min_confidence
    if agree is not None:
        sure &= agree
    correct = probs.argmax(1) == targets
    return {
        "clips": int(len(targets)),
        "sure": int(sure.sum()),
        "share_uncertain": float(1 - sure.mean()) if len(targets) else 0.0,
        "accuracy_when_sure": float(correct[sure].mean()) if sure.any() else None,
        "accuracy_all": float(correct.mean()) if len(targets) else None,
    }
