"""Aggregate fold results into metrics.json, report.md, oof.csv and PNG plots."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tajweed_desktop.core.common.atomic import atomic_write_text  # noqa: E402

from .data import Dataset  # noqa: E402
from .calibration import default_min_confidence, out_of_fold, split_record  # noqa: E402
from .metrics import classification_scores  # noqa: E402
from .train import FoldResult  # noqa: E402


def _mean_std(values: list[float]) -> dict:
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "folds": [float(v) for v in values]}


def per_group(ds: Dataset, val_idx: np.ndarray, preds: np.ndarray, base: np.ndarray) -> dict:
    """Macro-F1 and accuracy of the CNN and the voice-only baseline for each reciter's clips."""
    n = len(ds.labels)
    y = np.asarray(ds.targets)[val_idx]
    groups = np.asarray(ds.groups)[val_idx]
    out = {}
    for g in sorted(set(groups.tolist())):
        m = groups == g
        present = sorted(set(y[m].tolist()))
        cnn = classification_scores(preds[m], y[m], n)
        b = classification_scores(base[m], y[m], n)
        out[g] = {"clips": int(m.sum()), "rules": [ds.labels[i] for i in present],
                  "macro_f1": _macro_over(cnn, present), "accuracy": cnn["accuracy"],
                  "voice_baseline_macro_f1": _macro_over(b, present), "voice_baseline_accuracy": b["accuracy"]}
    return out


def _macro_over(scores: dict, present: list[int]) -> float:
    """Macro-F1 over the rules this group's clips hold (a voice with no Iqlab is not scored on it)."""
    return float(np.mean([scores["per_rule_f1"][i] for i in present]))


def summarise(ds: Dataset, results: list[FoldResult], baseline_preds: dict[int, np.ndarray], context: dict) -> dict:
    """Every number of the report, from the fold results and the voice-only baseline.

    Calibration (`calibration.out_of_fold`): the temperature a bundle would take is fitted on all
    out-of-fold logits; the calibration error and the sure verdicts reported beside it use
    temperatures and thresholds fitted without the clips being measured (per voice where the
    validation clips span several voices, else per fold)."""
    n = len(ds.labels)
    y = np.asarray(ds.targets)
    val_idx = np.concatenate([r.val_indices for r in results])
    logits = np.concatenate([r.val_logits for r in results])
    oof_y = y[val_idx]
    val_groups = [ds.items[i].group for i in val_idx]
    if len(set(val_groups)) > 1:
        units, unit_kind = val_groups, "voices"
    else:
        units, unit_kind = [str(r.fold) for r in results for _ in r.val_indices], "folds"
    cal = out_of_fold(logits, oof_y, units, unit_kind, default_min_confidence(n))
    preds = logits.argmax(1)
    fold_scores = [classification_scores(r.val_logits.argmax(1), y[r.val_indices], n) for r in results]
    base_f1 = [classification_scores(baseline_preds[r.fold], y[r.val_indices], n)["macro_f1"] for r in results]
    base_all = np.concatenate([baseline_preds[r.fold] for r in results])
    scored = [sorted({ds.items[i].group for i in r.val_indices}) for r in results]
    return {
        **context,
        "split": split_record(context["strategy"], scored, ds.fingerprint(), context["recipe"], context["seed"]),
        "labels": ds.labels,
        "clips": len(ds.items),
        "skipped": [{"file": str(p), "error": e} for p, e in ds.skipped],
        "fingerprint": ds.fingerprint(),
        "folds": [{"fold": r.fold, "n_val": len(r.val_indices), "epoch_kept": r.epoch_kept,
                   "reciters": g, **s} for r, s, g in zip(results, fold_scores, scored)],
        "per_reciter": per_group(ds, val_idx, preds, base_all),
        "cnn_macro_f1": _mean_std([s["macro_f1"] for s in fold_scores]),
        "voice_baseline_macro_f1": _mean_std(base_f1),
        "out_of_fold": classification_scores(logits.argmax(1), oof_y, n),
        "voice_baseline_out_of_fold": classification_scores(base_all, oof_y, n),
        "calibration": cal,
    }


def write_oof(ds: Dataset, results: list[FoldResult], path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["file", "label", "group", "fold", "predicted", *[f"logit_{lab}" for lab in ds.labels]])
    for r in results:
        for i, row in zip(r.val_indices, r.val_logits):
            it = ds.items[i]
            w.writerow([ds.name(it), it.label, it.group, r.fold,
                        ds.labels[int(row.argmax())], *[f"{v:.5f}" for v in row]])
    atomic_write_text(path, buf.getvalue())


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_all(ds: Dataset, results: list[FoldResult], m: dict, out: Path) -> list[str]:
    names = []

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, counts, title in ((axes[0], Counter(ds.groups), "clips per reciter"), (axes[1], Counter(it.label for it in ds.items), "clips per rule")):
        keys = sorted(counts)
        ax.bar(keys, [counts[k] for k in keys])
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=45)
    _save(fig, out / "clips.png"); names.append("clips.png")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    f1s = m["cnn_macro_f1"]["folds"]
    ax.bar([f"fold {r.fold}" for r in results], f1s, label="CNN ensemble member")
    ax.axhline(m["cnn_macro_f1"]["mean"], color="k", ls="--", label=f"mean {m['cnn_macro_f1']['mean']:.3f}")
    ax.axhline(m["voice_baseline_macro_f1"]["mean"], color="r", ls=":", label=f"voice-only {m['voice_baseline_macro_f1']['mean']:.3f}")
    ax.set_ylim(0, 1); ax.set_ylabel("validation macro-F1"); ax.legend(fontsize=8)
    _save(fig, out / "f1_per_fold.png"); names.append("f1_per_fold.png")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for r in results:
        losses = np.concatenate([h["train_losses"] for h in r.history])
        k = max(1, len(losses) // 20)
        ax.plot(np.convolve(losses, np.ones(k) / k, mode="valid"), label=f"fold {r.fold}")
    ax.set_xlabel("step"); ax.set_ylabel("training loss (smoothed)"); ax.legend(fontsize=8)
    _save(fig, out / "training_loss.png"); names.append("training_loss.png")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for r in results:
        ax.plot([h["epoch"] for h in r.history], [h["val_macro_f1"] for h in r.history], marker=".", label=f"fold {r.fold}")
    ax.set_xlabel("epoch"); ax.set_ylabel("validation macro-F1"); ax.set_ylim(0, 1); ax.legend(fontsize=8)
    _save(fig, out / "val_f1.png"); names.append("val_f1.png")

    cm = np.asarray(m["out_of_fold"]["confusion"])
    size = max(4.0, 0.45 * len(ds.labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(ds.labels)), ds.labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(ds.labels)), ds.labels, fontsize=8)
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
    ax.set_xlabel("predicted"); ax.set_ylabel("true"); ax.set_title("out-of-fold confusion")
    _save(fig, out / "confusion.png"); names.append("confusion.png")

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "k:", label="perfect")
    for key, label in (("reliability_before", "before"), ("reliability_after", "after temperature")):
        pts = m["calibration"][key]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    ax.set_xlabel("confidence"); ax.set_ylabel("accuracy"); ax.legend(fontsize=8); ax.set_title("reliability")
    _save(fig, out / "reliability.png"); names.append("reliability.png")
    return names


def markdown(m: dict, plots: list[str]) -> str:
    cnn, base = m["cnn_macro_f1"], m["voice_baseline_macro_f1"]
    lines = [
        f"# Training report: {m['data']} ({m['strategy']}, recipe {m['recipe']['name']})",
        "",
        f"Command: `{m['command']}`",
        "",
        f"- Clips used: {m['clips']}; left out: {len(m['skipped'])}; data fingerprint `{m['fingerprint'][:16]}`",
        f"- Labels: {', '.join(m['labels'])}",
        f"- CNN validation macro-F1: **{cnn['mean']:.3f} ± {cnn['std']:.3f}** over {len(cnn['folds'])} fold(s)",
        f"- Voice-only baseline (pitch + loudness, logistic regression), same folds: **{base['mean']:.3f} ± {base['std']:.3f}**",
        f"- Out-of-fold accuracy: CNN {m['out_of_fold']['accuracy']:.3f}, voice-only {m['voice_baseline_out_of_fold']['accuracy']:.3f}",
        f"- Epoch kept: {m['recipe']['select']} (never chosen on the clips scored)",
        f"- Split: {m['split']['kind']}; seed {m['split']['seed']}",
        f"- Calibration: temperature {m['calibration']['temperature']:.2f} (fitted on every out-of-fold logit), "
        f"ECE {m['calibration']['ece_before']:.3f} before, {m['calibration']['ece_after']:.3f} after "
        f"(measured on {m['calibration']['units']} not used to fit the temperature)",
        _sure_line(m["calibration"]["at_default_threshold"]),
        _threshold_line(m["calibration"]),
        "",
        "| fold | reciters scored | n val | epoch kept | CNN macro-F1 | voice-only macro-F1 |",
        "|---|---|---|---|---|---|",
    ]
    for f, b in zip(m["folds"], base["folds"]):
        who = ", ".join(f.get("reciters", [])) if len(f.get("reciters", [])) <= 3 else f"{len(f['reciters'])} reciters"
        lines.append(f"| {f['fold']} | {who} | {f['n_val']} | {f['epoch_kept']} | {f['macro_f1']:.3f} | {b:.3f} |")
    lines += ["", "Per reciter (out of fold; macro-F1 over the rules each reciter's clips hold):", "",
              "| reciter | clips | rules | CNN macro-F1 | CNN accuracy | voice-only macro-F1 |", "|---|---|---|---|---|---|"]
    for g, r in m["per_reciter"].items():
        lines.append(f"| {g} | {r['clips']} | {', '.join(r['rules'])} | {r['macro_f1']:.3f} | {r['accuracy']:.3f} | "
                     f"{r['voice_baseline_macro_f1']:.3f} |")
    lines += ["", "Per-rule F1 (out of fold):", "", "| rule | CNN | voice-only |", "|---|---|---|"]
    for lab, a, b in zip(m["labels"], m["out_of_fold"]["per_rule_f1"], m["voice_baseline_out_of_fold"]["per_rule_f1"]):
        lines.append(f"| {lab} | {a:.3f} | {b:.3f} |")
    if m["skipped"]:
        lines += ["", "Left out:", ""] + [f"- {s['error']}" for s in m["skipped"]]
    lines += [""] + [f"![{p}]({p})" for p in plots] + [""]
    return "\n".join(lines)


def _sure_line(s: dict) -> str:
    acc = "n/a" if s["accuracy_when_sure"] is None else f"{s['accuracy_when_sure']:.3f}"
    return (f"- Verdicts at confidence ≥ {s['min_confidence']:.2f} (not marked uncertain by confidence): "
            f"{s['sure']} of {s['clips']}, {acc} correct; {s['share_uncertain']:.0%} marked uncertain "
            "(single fold models with cross-fitted temperatures; the bundle's fold agreement is not part of this)")


def _threshold_line(h: dict) -> str:
    acc = "n/a" if h["accuracy_when_sure"] is None else f"{h['accuracy_when_sure']:.3f}"
    per = ", ".join(f"{u} {v['threshold']:.2f}" for u, v in h["per_unit"].items())
    return (f"- Threshold for {h['target_precision']:.0%} right among sure verdicts, fitted (with the temperature) on the "
            f"other {h['units']} and applied to each: {acc} correct, {h['share_uncertain']:.0%} marked uncertain "
            f"(thresholds: {per}); fitted on all: {h['threshold_all']:.2f}")


def write_report(ds: Dataset, results: list[FoldResult], m: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_oof(ds, results, out / "oof.csv")
    plots = plot_all(ds, results, m, out)
    atomic_write_text(out / "metrics.json", json.dumps(m, indent=2))
    atomic_write_text(out / "report.md", markdown(m, plots))
