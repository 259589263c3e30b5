"""Scores: macro-F1 (torchmetrics, as in the notebook), per-rule F1, confusion, calibration."""

from __future__ import annotations

import numpy as np
import torch
from torchmetrics.functional.classification import multiclass_confusion_matrix, multiclass_f1_score


def classification_scores(preds: np.ndarray | list[int], targets: np.ndarray | list[int], n_classes: int) -> dict:
    p = torch.as_tensor(np.asarray(preds), dtype=torch.long)
    t = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    return {
        "macro_f1": float(multiclass_f1_score(p, t, num_classes=n_classes, average="macro")),
        "per_rule_f1": multiclass_f1_score(p, t, num_classes=n_classes, average=None).tolist(),
        "accuracy": float((p == t).float().mean()) if len(t) else 0.0,
        "confusion": multiclass_confusion_matrix(p, t, num_classes=n_classes).tolist(),
    }


def expected_calibration_error(probs: np.ndarray, targets: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |accuracy - confidence| over equal-width confidence bins."""
    conf = probs.max(1)
    correct = probs.argmax(1) == targets
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def reliability(probs: np.ndarray, targets: np.ndarray, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) per non-empty bin, for the reliability diagram."""
    conf = probs.max(1)
    correct = probs.argmax(1) == targets
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            out.append((float(conf[m].mean()), float(correct[m].mean()), int(m.sum())))
    return out


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of out-of-fold logits."""
    x = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(targets, dtype=torch.long)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp().clamp(0.05, 20.0))


def cross_fitted_probabilities(logits: np.ndarray, targets: np.ndarray, units: list[str]) -> tuple[np.ndarray, dict]:
    """Calibrated probabilities where each unit's clips (a voice, or a fold) get a temperature
    fitted on the *other* units only, so the calibration error measured on them is not flattered
    by having fitted on them. Returns (probabilities, temperature per unit)."""
    units_arr = np.asarray(units)
    probs = np.empty_like(logits, dtype=np.float64)
    temps = {}
    for u in dict.fromkeys(units):
        mine = units_arr == u
        t = fit_temperature(logits[~mine], targets[~mine]) if (~mine).any() else 1.0
        temps[str(u)] = t
        probs[mine] = softmax(logits[mine], t)
    return probs, temps


def sure_verdicts(probs: np.ndarray, targets: np.ndarray, min_confidence: float) -> dict:
    """How often a verdict confident enough not to be marked uncertain is right, and how many
    verdicts are marked uncertain by confidence alone."""
    conf = probs.max(1)
    sure = conf >= min_confidence
    correct = probs.argmax(1) == targets
    return {
        "min_confidence": float(min_confidence),
        "clips": int(len(targets)),
        "sure": int(sure.sum()),
        "share_uncertain": float(1 - sure.mean()) if len(targets) else 0.0,
        "accuracy_when_sure": float(correct[sure].mean()) if sure.any() else None,
        "accuracy_all": float(correct.mean()) if len(targets) else None,
    }


SURE_PRECISION = 0.9  # verdicts not marked uncertain should be right at least this often
CONFIDENCE_GRID = np.round(np.arange(0.40, 0.995, 0.01), 2)


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


def held_out_threshold(logits: np.ndarray, targets: np.ndarray, units: list[str],
                       precision: float = SURE_PRECISION) -> dict:
    """The uncertainty threshold measured honestly: for each unit (a voice), temperature and
    threshold are fitted on the other units' clips only, then applied to its own. Also the
    threshold fitted on every unit, for a bundle that will meet voices none of them are."""
    units_arr = np.asarray(units)
    sure = np.zeros(len(targets), dtype=bool)
    correct = logits.argmax(1) == targets
    per_unit = {}
    for u in dict.fromkeys(units):
        mine = units_arr == u
        if not (~mine).any():
            continue
        t_cal = fit_temperature(logits[~mine], targets[~mine])
        thr = threshold_for_precision(softmax(logits[~mine], t_cal), targets[~mine], precision)
        sure[mine] = softmax(logits[mine], t_cal).max(1) >= thr
        per_unit[str(u)] = {"threshold": thr, "sure": int(sure[mine].sum()), "clips": int(mine.sum()),
                            "accuracy_when_sure": float(correct[mine & sure].mean()) if (mine & sure).any() else None}
    t_all = fit_temperature(logits, targets)
    return {
        "target_precision": precision,
        "per_unit": per_unit,
        "share_uncertain": float(1 - sure.mean()),
        "accuracy_when_sure": float(correct[sure].mean()) if sure.any() else None,
        "threshold_all": threshold_for_precision(softmax(logits, t_all), targets, precision),
    }
