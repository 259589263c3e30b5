"""`python -m trainer`: train, resume, assemble a bundle, evaluate one, or add ONNX heads to one."""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from pathlib import Path

import numpy as np

from tajweed_desktop.core.common.errors import TajweedError

from . import data as data_mod
from .folds import STRATEGIES, SplitError, check_strategy
from .recipe import Recipe, RecipeError, load_recipe, recipe_names

COMMANDS = ("train", "resume", "assemble", "evaluate", "export-onnx")


class UsageError(Exception):
    """A bad argument: one line naming it and the valid choices, exit 2, before any audio is decoded."""


def _source_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=Path, action="append",
                     help="a local folder: Kaggle layout or one folder per rule; repeat it to train on several "
                          "(their reciters and word contexts keep their names)")
    src.add_argument("--kaggle", nargs="?", const=data_mod.DEFAULT_KAGGLE_HANDLE, metavar="HANDLE",
                     help=f"download with kagglehub (default {data_mod.DEFAULT_KAGGLE_HANDLE}); cached copy when offline")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="k-fold training (the default command)",
                       epilog="Other commands: resume RUN_DIR, assemble RUN_DIR --export DIR, evaluate --model DIR "
                              "--data DIR, export-onnx BUNDLE... (python -m trainer COMMAND --help).")
    _source_args(t)
    t.add_argument("--recipe", default="default",
                   help=f"a recipe in trainer/configs ({', '.join(recipe_names())}) or a JSON file")
    t.add_argument("--split", default="stratified",
                   help="stratified (as the notebook), grouped (no reciter in two folds), voices (one fold per "
                        "reciter: leave one voice out), words (no word context in two folds), or holdout:<reciter>")
    t.add_argument("--folds", type=int, default=5, help="number of folds (at least 2; voices makes one per reciter)")
    t.add_argument("--fold", type=int, help="train only this fold (1-based); assemble the bundle later")
    t.add_argument("--epochs", type=int, help="override the recipe's epochs")
    t.add_argument("--seed", type=int, default=42)
    t.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    t.add_argument("--run-dir", type=Path, help="where checkpoints and the report go (default runs/<data>-<split>-<recipe>)")
    t.add_argument("--export", type=Path, help="write the finished bundle here (for example assets/models/tajweed4)")
    t.add_argument("--calibrate-on", type=Path, metavar="RUN_DIR",
                   help="take the bundle's temperature and uncertainty threshold from this finished --split voices "
                        "run (predictions for voices never heard) instead of this run's own folds")
    t.add_argument("--feature-cache", type=Path, default=Path("runs") / "feature-cache", metavar="DIR",
                   help="where front-end recipes keep each clip's encoder frames (default runs/feature-cache)")
    t.add_argument("--no-progress", action="store_true")

    r = sub.add_parser("resume", help="continue an interrupted run with its saved arguments")
    r.add_argument("run_dir", type=Path)

    a = sub.add_parser("assemble", help="report and bundle a run whose folds were trained separately")
    a.add_argument("run_dir", type=Path)
    a.add_argument("--export", type=Path, required=True)
    a.add_argument("--calibrate-on", type=Path, metavar="RUN_DIR", help="as for train")

    e = sub.add_parser("evaluate", help="metrics of a bundle on any labelled folder")
    e.add_argument("--model", type=Path, required=True)
    _source_args(e)
    e.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    e.add_argument("--json", action="store_true", help="print the metrics as JSON")

    x = sub.add_parser("export-onnx", help="add ONNX heads (what the app runs without torch) to bundles "
                                           "written before they existed; weights and card otherwise unchanged")
    x.add_argument("bundles", type=Path, nargs="+")
    return ap


def _data_paths(args) -> list[Path]:
    return list(args.data) if args.data is not None else [data_mod.kaggle_dataset_path(args.kaggle)]


def _load(args, progress: bool = True) -> data_mod.Dataset:
    ds = data_mod.load_datasets(_data_paths(args), show_progress=progress)
    print(f"{', '.join(map(str, ds.roots))}: {ds.layout} layout, {len(ds.items)} clips, {len(ds.labels)} rules, "
          f"{len(set(ds.groups))} reciter group(s); left out {len(ds.skipped)}", flush=True)
    for path, err in ds.skipped:
        print(f"  left out: {err}", flush=True)
    return ds


def _context(args, argv: list[str]) -> tuple[Recipe, str, dict]:
    """The recipe, the data source and the report context of a `train` command line.

    The command recorded is the whole run's: `--fold K` is dropped, so it reproduces every fold.
    """
    recipe = load_recipe(args.recipe).with_overrides(epochs=args.epochs)
    source = " + ".join(map(str, args.data)) if args.data is not None else f"kaggle:{args.kaggle}"
    whole = [a for i, a in enumerate(argv) if a != "--fold" and (i == 0 or argv[i - 1] != "--fold")]
    context = {"data": source, "strategy": args.split, "recipe": recipe.to_dict(), "seed": args.seed,
               "command": "python -m trainer " + shlex.join(whole)}
    return recipe, source, context


def check_train_args(args) -> None:
    """Every argument of `train` that can be checked without decoding audio; UsageError if wrong."""
    try:
        load_recipe(args.recipe)
        check_strategy(args.split)
    except (RecipeError, SplitError) as exc:
        raise UsageError(str(exc)) from None
    if args.epochs is not None and args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, not {args.epochs}")
    if args.folds < 2 and args.split in ("stratified", "grouped", "words"):
        raise UsageError(f"--folds must be at least 2 for --split {args.split}, not {args.folds}")
    if args.data is not None:
        listed = data_mod.list_items(args.data)  # reads the listings only, decodes nothing
        groups, contexts = [it.group for it in listed], [it.context for it in listed]
        try:
            check_strategy(args.split, groups, contexts)
        except SplitError as exc:
            raise UsageError(str(exc)) from None
        n_folds = len(set(groups)) if args.split == "voices" else 1 if args.split.startswith("holdout:") else args.folds
    else:
        n_folds = args.folds
    if args.calibrate_on is not None and not (args.calibrate_on / "report" / "metrics.json").is_file():
        raise UsageError(f"--calibrate-on {args.calibrate_on}: no finished run there (report/metrics.json is missing)")
    if args.fold is not None and not 1 <= args.fold <= n_folds:
        raise UsageError(f"--fold must be between 1 and {n_folds} for this split, not {args.fold}")


def cmd_train(args, argv: list[str]) -> int:
    from .pipeline import export_bundle, finished_results, report, train_all

    check_train_args(args)
    recipe, source, context = _context(args, argv)
    ds = _load(args, not args.no_progress)
    data_name = "+".join(p.name for p in args.data) if args.data is not None else Path(source).name
    run_dir = args.run_dir or Path("runs") / f"{data_name}-{args.split.replace(':', '-')}-{recipe.name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps({"argv": argv}))
    train_all(ds, recipe, run_dir, args.split, args.folds, args.seed, args.fold, args.device, not args.no_progress,
              args.feature_cache)
    if args.fold is not None:
        print(f"fold {args.fold} done in {run_dir}; when all folds are trained: python -m trainer assemble {run_dir} --export DIR")
        return 0
    m = report(ds, finished_results(run_dir), run_dir, context, args.seed)
    _print_summary(m, run_dir)
    if args.export:
        export_bundle(ds, finished_results(run_dir), m, run_dir, args.export, args.export.name, args.calibrate_on)
        print(f"bundle written to {args.export}")
    return 0


def _print_summary(m: dict, run_dir: Path) -> None:
    c, b = m["cnn_macro_f1"], m["voice_baseline_macro_f1"]
    print(f"CNN macro-F1 {c['mean']:.3f} ± {c['std']:.3f}; voice-only baseline {b['mean']:.3f} ± {b['std']:.3f}; "
          f"temperature {m['calibration']['temperature']:.2f} (ECE {m['calibration']['ece_before']:.3f} -> "
          f"{m['calibration']['ece_after']:.3f}); report in {run_dir / 'report'}")


def cmd_resume(args) -> int:
    saved = args.run_dir / "args.json"
    if not saved.exists():
        raise UsageError(f"{args.run_dir}: not a training run folder (no args.json)")
    argv = json.loads(saved.read_text())["argv"]
    done = sorted(p.parent.name for p in args.run_dir.glob("fold*/result.json"))
    partial = sorted(p.parent.name for p in args.run_dir.glob("fold*/last.pt"))
    print(f"resuming {args.run_dir}: python -m trainer {shlex.join(argv)}\n"
          f"  finished: {', '.join(done) or 'none'}; interrupted (continues from its last epoch): "
          f"{', '.join(partial) or 'none'}", flush=True)
    return main(argv)


def cmd_assemble(args) -> int:
    from .pipeline import export_bundle, finished_results, report

    saved = json.loads((args.run_dir / "args.json").read_text())["argv"]
    targs = build_parser().parse_args(saved)
    _, _, context = _context(targs, saved)
    ds = _load(targs)
    results = finished_results(args.run_dir)
    m = report(ds, results, args.run_dir, context, targs.seed)
    _print_summary(m, args.run_dir)
    export_bundle(ds, results, m, args.run_dir, args.export, args.export.name, args.calibrate_on)
    print(f"bundle written to {args.export}")
    return 0


def cmd_evaluate(args) -> int:
    from tajweed_desktop.core.model.ensemble import Ensemble

    from .metrics import classification_scores

    ens = Ensemble.from_path(args.model, device=args.device)
    ds = _load(args)
    unknown = sorted(set(ds.labels) - set(ens.labels))
    if unknown:
        raise SystemExit(f"{args.model}: the bundle does not know the rule(s) {', '.join(unknown)}")
    seen = training_overlap(ens.bundle.card.to_dict(), ds)
    if seen:
        print(f"warning: {seen} of {len(ds.items)} clips were in this bundle's own training data: "
              "these scores say how well it fits them, not how it does on new recordings", file=sys.stderr, flush=True)
    y = np.array([ens.labels.index(it.label) for it in ds.items])
    analyses = ens.analyse_many(ds.recordings)
    preds = np.array([a.clip.top_index for a in analyses])
    sure = np.array([not a.clip.uncertain for a in analyses])
    m = classification_scores(preds, y, len(ens.labels))
    m["labels"] = list(ens.labels)
    m["clips_in_training_data"] = seen
    m["sure"] = int(sure.sum())
    m["accuracy_when_sure"] = float((preds == y)[sure].mean()) if sure.any() else None
    m["share_uncertain"] = float(1 - sure.mean())
    if args.json:
        print(json.dumps(m, indent=2))
    else:
        when_sure = "n/a" if m["accuracy_when_sure"] is None else f"{m['accuracy_when_sure']:.3f}"
        print(f"macro-F1 {m['macro_f1']:.3f}, accuracy {m['accuracy']:.3f} on {len(y)} clips; "
              f"not marked uncertain: {m['sure']} ({when_sure} right), uncertain: {m['share_uncertain']:.0%}")
        for lab, f in zip(ens.labels, m["per_rule_f1"]):
            print(f"  {lab:24s} F1 {f:.3f}")
    return 0


def cmd_export_onnx(args) -> int:
    from tajweed_desktop.core.model.onnx_export import export_bundle_heads

    for path in args.bundles:
        b = export_bundle_heads(path)
        print(f"{path}: {b.onnx_path.name} written, sha256 {b.card.heads_onnx.sha256[:16]}…")
    return 0


def training_overlap(card: dict, ds: data_mod.Dataset) -> int:
    """How many of these clips (by content) the bundle was trained on: from the card's clip
    hashes, or, for older cards, the whole data set's fingerprint."""
    td = card.get("training_data", {})
    known = set(td.get("clip_sha256_prefixes", []))
    if known:
        return sum(h[: len(next(iter(known)))] in known for h in ds.content_hashes())
    return len(ds.items) if td.get("fingerprint_sha256") == ds.fingerprint() else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        argv = ["train", *argv]  # `python -m trainer --help` shows the training options
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return cmd_train(args, argv)
        if args.command == "resume":
            return cmd_resume(args)
        if args.command == "assemble":
            return cmd_assemble(args)
        if args.command == "export-onnx":
            return cmd_export_onnx(args)
        return cmd_evaluate(args)
    except UsageError as exc:
        print(f"python -m trainer {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except TajweedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
