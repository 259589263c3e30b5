"""Calibration, in one place: what a run's report says about it, what a bundle's card takes, and
what the card's `calibration.measured` record says about the bundle as it ships.

Every record here is structured (numbers, names, fingerprints), so a reader checks fields rather
than parsing sentences. The pieces (temperature, calibration error, thresholds, cross-fitting)
are in `metrics.py`, each written once.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypedDict

import numpy as np

from tajweed_desktop.core.model.ensemble import verdict
from tajweed_desktop.core.common.errors import TajweedError

from .metrics import (
    ECE_BINS,
    SURE_PRECISION,
    cross_fit,
    cross_fitted_probabilities,
    expected_calibration_error,
    fit_temperature,
    reliability,
    softmax,
    sure_verdicts,
    threshold_for_precision,
)

class PerVoice(TypedDict):
    clips: int
    sure: int
    accuracy_when_sure: float | None
    ece: float


class Setting(TypedDict):
    """One temperature-and-threshold setting measured on the nested predictions."""

    ece: float
    accuracy: float
    sure: int
    accuracy_when_sure: float | None
    share_uncertain: float
    per_voice: dict[str, PerVoice]


class Measured(TypedDict):
    """The card's `calibration.measured` (what `shipped_measurement` returns); `cross_fitted` also
    holds a `note` (str)."""

    method: str
    run: str
    command: str
    data_fingerprint: str
    recipe: str
    recipe_sha256: str
    clips: int
    voices: list[str]
    folds_per_voice: int
    ece_bins: int
    temperature: float
    min_confidence: float
    min_agreement: float
    min_active_seconds: float
    at_shipped: Setting
    cross_fitted: Setting


class Fitted(TypedDict):
    """The card's `calibration.fitted`: what the temperature and threshold were fitted on."""

    run: str
    split: str
    data_fingerprint: str
    recipe: str
    recipe_sha256: str
    clips: int
    models: str
    command: str
    # from a leave-one-voice-out run also: voices: list[str]


LEAVE_ONE_VOICE_OUT = "leave-one-voice-out"
SPLIT_KINDS = {"stratified": "stratified", "grouped": "grouped-by-reciter", "voices": LEAVE_ONE_VOICE_OUT,
               "words": "held-out-words"}


class CalibrationSourceError(TajweedError):
    """A run given to `--calibrate-on` that cannot calibrate this bundle (one line says why)."""


def default_min_confidence(n_labels: int) -> float:
    """The threshold below which a verdict is marked uncertain when no held-out-voices run gives
    one: never tuned on data (0.40 for four rules and for fourteen)."""
    return max(0.4, 2.0 / n_labels)


def recipe_sha256(recipe: dict) -> str:
    """A digest of every setting of a recipe (its name included), for comparing runs."""
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def split_record(strategy: str, scored_groups: list[list[str]], fingerprint: str, recipe: dict, seed: int) -> dict:
    """What a run's folds scored, as fields: the kind of split (`leave-one-voice-out` only when
    every fold scores exactly one voice, all voices scored once), the voices each fold scored,
    the data and the recipe."""
    kind = "holdout" if strategy.startswith("holdout:") else SPLIT_KINDS.get(strategy, strategy)
    if kind == LEAVE_ONE_VOICE_OUT:
        flat = [g for gs in scored_groups for g in gs]
        if any(len(gs) != 1 for gs in scored_groups) or len(set(flat)) != len(flat):
            kind = "voices-incomplete"
    return {"kind": kind, "strategy": strategy, "voices_scored_per_fold": scored_groups,
            "data_fingerprint": fingerprint, "recipe": recipe["name"], "recipe_sha256": recipe_sha256(recipe),
            "seed": seed}


def out_of_fold(logits: np.ndarray, targets: np.ndarray, units: list[str], unit_kind: str,
                default_threshold: float, precision: float = SURE_PRECISION) -> dict:
    """The report's calibration of out-of-fold logits. `temperature` and `threshold_all` are fitted
    on every clip (what a bundle calibrated on this run takes); the error and the sure verdicts
    reported beside them use, for each unit (`unit_kind`: "voices" or "folds"), a temperature and
    threshold fitted on the other units only; `at_default_threshold`: the sure verdicts at a fixed
    threshold (the bundle's own when no held-out-voices run gives one)."""
    fits = cross_fit(logits, targets, units, precision)
    p_raw, p_cal = softmax(logits, 1.0), cross_fitted_probabilities(logits, units, fits)
    units_arr, correct = np.asarray(units), logits.argmax(1) == targets
    sure = np.zeros(len(targets), dtype=bool)
    per_unit = {}
    for u, fit in fits.items():
        mine = units_arr == u
        sure[mine] = p_cal[mine].max(1) >= fit["threshold"]
        per_unit[u] = {"threshold": fit["threshold"], "temperature": fit["temperature"], "clips": int(mine.sum()),
                       "sure": int(sure[mine].sum()),
                       "accuracy_when_sure": float(correct[mine & sure].mean()) if (mine & sure).any() else None}
    t_all = fit_temperature(logits, targets)
    return {
        "temperature": t_all,
        "threshold_all": threshold_for_precision(softmax(logits, t_all), targets, precision),
        "target_precision": precision,
        "units": unit_kind,
        "ece_bins": ECE_BINS,
        "ece_before": expected_calibration_error(p_raw, targets),
        "ece_after": expected_calibration_error(p_cal, targets),
        "per_unit": per_unit,
        "sure": int(sure.sum()),
        "share_uncertain": float(1 - sure.mean()),
        "accuracy_when_sure": float(correct[sure].mean()) if sure.any() else None,
        "at_default_threshold": {"min_confidence": default_threshold,
                                 **sure_verdicts(p_cal, targets, default_threshold)},
        "reliability_before": reliability(p_raw, targets),
        "reliability_after": reliability(p_cal, targets),
    }


def from_voices_run(run_dir: Path, labels: list[str] | None, fingerprint: str | None, recipe: dict | None) -> dict:
    """The card's `calibration` and `uncertainty` from a leave-one-voice-out run of the same data
    and recipe (its report's `split` record says so), or CalibrationSourceError in one line."""
    m = read_report(run_dir)
    split = m.get("split") or {}
    if split.get("kind") != LEAVE_ONE_VOICE_OUT:
        raise CalibrationSourceError(f"--calibrate-on {run_dir}: not a leave-one-voice-out run (its split is "
                                     f"{split.get('kind') or m.get('strategy', 'unrecorded')}; use a --split voices run)")
    if labels is not None and m.get("labels") != labels:
        raise CalibrationSourceError(f"--calibrate-on {run_dir}: its rules {m.get('labels')} differ from this run's {labels}")
    if fingerprint is not None and split.get("data_fingerprint") != fingerprint:
        raise CalibrationSourceError(f"--calibrate-on {run_dir}: trained on other data (fingerprint "
                                     f"{str(split.get('data_fingerprint'))[:16]}, this run's {fingerprint[:16]})")
    if recipe is not None and split.get("recipe_sha256") != recipe_sha256(recipe):
        raise CalibrationSourceError(f"--calibrate-on {run_dir}: trained with another recipe ({split.get('recipe')}, "
                                     f"or other settings of it) than this run's {recipe['name']}")
    cal = m["calibration"]
    fitted = {"run": str(run_dir), "split": LEAVE_ONE_VOICE_OUT, "data_fingerprint": split["data_fingerprint"],
              "recipe": split["recipe"], "recipe_sha256": split["recipe_sha256"], "clips": m["clips"],
              "voices": sorted(cal["per_unit"]), "models": "one model per held-out voice (single fold models)",
              "command": m["command"]}
    return {
        "calibration": {"temperature": cal["temperature"], "ece_before": cal["ece_before"],
                        "ece_after": cal["ece_after"],
                        "ece_after_measured_on": "voices not used to fit the temperature",
                        "fitted_on": f"out-of-fold logits of held-out voices: {m['command']}",
                        "fitted": fitted},
        "uncertainty": {"min_confidence": cal["threshold_all"],
                        "min_confidence_source": f"lowest confidence at which {cal['target_precision']:.0%} of "
                                                 f"held-out-voice verdicts were right: {m['command']}"},
    }


def from_own_folds(m: dict) -> dict:
    """The card's `calibration` and `uncertainty` from the run's own folds (a bundle for the
    voices it was trained on, such as rules14): the fixed default threshold."""
    cal = m["calibration"]
    return {
        "calibration": {"temperature": cal["temperature"], "ece_before": cal["ece_before"],
                        "ece_after": cal["ece_after"],
                        "ece_after_measured_on": f"{cal['units']} not used to fit the temperature",
                        "fitted": {"run": "this bundle's own folds", "split": m["split"]["kind"],
                                   "data_fingerprint": m["fingerprint"], "recipe": m["recipe"]["name"],
                                   "recipe_sha256": recipe_sha256(m["recipe"]), "clips": m["clips"],
                                   "models": "the bundle's fold models, each on its own validation clips",
                                   "command": m["command"]}},
        "uncertainty": {"min_confidence": default_min_confidence(len(m["labels"]))},
    }


def read_report(run_dir: Path) -> dict:
    path = run_dir / "report" / "metrics.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        raise CalibrationSourceError(f"--calibrate-on {run_dir}: no finished run there ({path} is missing)") from None


def shipped_measurement(fold_logits: np.ndarray, targets: np.ndarray, voices: list[str], active: np.ndarray,
                        shipped: dict, cross_fitted: dict[str, dict], run: str, command: str,
                        fingerprint: str, recipe: dict) -> Measured:
    """The card's `calibration.measured`: the bundle's verdict rule (mean of the fold models'
    softmax, the confidence, agreement and sound thresholds) on voices its models never heard.
    `fold_logits` (folds, n, rules): each clip scored by the ensemble trained without its voice.
    `shipped`: the card's temperature and uncertainty thresholds. `cross_fitted`: per voice, the
    temperature and threshold the shipped procedure gives without that voice (from the
    leave-one-voice-out run's other voices)."""
    voices_arr = np.asarray(voices)
    t = shipped["uncertainty"]
    labels = tuple(str(i) for i in range(fold_logits.shape[2]))

    def measure(temps: np.ndarray, thresholds: np.ndarray) -> dict:
        # the app's own verdict rule, clip by clip (core.ensemble.verdict)
        preds = [verdict(labels, {**t, "min_confidence": float(thr)}, softmax(fold_logits[:, i], float(temp)), float(a))
                 for i, (temp, thr, a) in enumerate(zip(temps, thresholds, active))]
        probs = np.stack([p.probabilities for p in preds])
        sure = np.array([not p.uncertain for p in preds])
        s = sure_verdicts(probs, targets, 0.0, sure)
        per_voice = {}
        for v in dict.fromkeys(voices):
            mine = voices_arr == v
            pv = sure_verdicts(probs[mine], targets[mine], 0.0, sure[mine])
            per_voice[str(v)] = {"clips": pv["clips"], "sure": pv["sure"], "accuracy_when_sure": pv["accuracy_when_sure"],
                                 "ece": expected_calibration_error(probs[mine], targets[mine])}
        return {"ece": expected_calibration_error(probs, targets), "accuracy": s["accuracy_all"], "sure": s["sure"],
                "accuracy_when_sure": s["accuracy_when_sure"], "share_uncertain": s["share_uncertain"],
                "per_voice": per_voice}

    n = len(targets)
    at_shipped = measure(np.full(n, shipped["calibration"]["temperature"]), np.full(n, t["min_confidence"]))
    cf = measure(np.array([cross_fitted[v]["temperature"] for v in voices]),
                 np.array([cross_fitted[v]["threshold"] for v in voices]))
    return {
        "method": "nested leave-one-voice-out: each voice scored by the five-fold ensemble trained without it",
        "run": run, "command": command, "data_fingerprint": fingerprint, "recipe": recipe["name"],
        "recipe_sha256": recipe_sha256(recipe), "clips": n, "voices": sorted(set(voices)),
        "folds_per_voice": int(fold_logits.shape[0]), "ece_bins": ECE_BINS,
        "temperature": shipped["calibration"]["temperature"], "min_confidence": t["min_confidence"],
        "min_agreement": t["min_agreement"], "min_active_seconds": t["min_active_seconds"],
        "at_shipped": at_shipped,
        "cross_fitted": {**cf, "note": "per voice, the temperature and threshold fitted without it"},
    }
