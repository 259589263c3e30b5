"""`python -m trainer`: train, resume, assemble a bundle, evaluate one, or add ONNX heads to one."""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from pathlib import Path


from tajweed_desktop.core.model.devices import DEVICE_CHOICES
from tajweed_desktop.core.common.errors import TajweedError

from . import data as data_mod
from . import runfolder
from .folds import SplitError, check_strategy
from .evaluate import cmd_evaluate, cmd_export_onnx
from .recipe import Recipe, RecipeError, load_recipe, recipe_names

COMMANDS = ("train", "resume", "assemble", "evaluate", "export-onnx", "nested", "cut")


class UsageError(Exception):
    """A bad argument: one line naming it and the valid choices, exit 2, before any audio is decoded."""


def _source_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=Path, action="append",
                     help="a local folder: Kaggle layout, one folder per rule, or whole verses named SSSAAA.* "
                          "(each site aligned, cut and labelled; trainer/verses.py); repeat it to train on several "
                          "(their reciters and word contexts keep their names)")
    p.add_argument("--verse-cache", type=Path, default=data_mod.DEFAULT_VERSE_CACHE, metavar="DIR",
                   help="where whole-verse sources keep each verse's alignment and cut sites (default runs/verse-cache)")
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
    _run_args(t)
    t.add_argument("--run-dir", type=Path, help="where checkpoints and the report go (default runs/<data>-<split>-<recipe>)")
    t.add_argument("--export", type=Path, help="write the finished bundle here (for example assets/models/tajweed4)")
    t.add_argument("--calibrate-on", type=Path, metavar="RUN_DIR",
                   help="take the bundle's temperature and uncertainty threshold from this finished leave-one-voice-out "
                        "run (--split voices) of the same data and recipe, instead of this run's own folds")

    n = sub.add_parser("nested", help="the calibration of what ships on voices it never heard: for each voice, the "
                                      "bundle's folds trained without it score it")
    _source_args(n)
    n.add_argument("--recipe", default="frames", help="the bundle's recipe")
    n.add_argument("--folds", type=int, default=5, help="fold models per voice, as in the bundle")
    n.add_argument("--epochs", type=int, help="override the recipe's epochs")
    n.add_argument("--seed", type=int, default=42)
    _run_args(n)
    n.add_argument("--calibrate-on", type=Path, metavar="RUN_DIR", required=True,
                   help="the leave-one-voice-out run the bundle's temperature and threshold come from")
    n.add_argument("--run-dir", type=Path, required=True)
    n.add_argument("--card", type=Path, metavar="BUNDLE",
                   help="measure at this bundle's temperature and thresholds and add the result to its card's "
                        "calibration record (nothing else in the bundle changes)")

    r = sub.add_parser("resume", help="continue an interrupted run with its saved arguments")
    r.add_argument("run_dir", type=Path)

    a = sub.add_parser("assemble", help="report and bundle a run whose folds were trained separately")
    a.add_argument("run_dir", type=Path)
    a.add_argument("--export", type=Path, required=True)
    a.add_argument("--calibrate-on", type=Path, metavar="RUN_DIR", help="as for train")
    a.add_argument("--fold", type=int, help="a bundle of this one fold model only (e.g. the model of a "
                                            "leave-one-voice-out run that never heard that voice)")

    e = sub.add_parser("evaluate", help="metrics of a bundle on any labelled folder")
    e.add_argument("--model", type=Path, required=True)
    _source_args(e)
    e.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    e.add_argument("--json", action="store_true", help="print the metrics as JSON")

    from .verse_source import add_cut_parser
    add_cut_parser(sub)
    x = sub.add_parser("export-onnx", help="add ONNX heads (what the app runs without torch) to bundles "
                                           "written before they existed; weights and card otherwise unchanged")
    x.add_argument("bundles", type=Path, nargs="+")
    return ap


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    p.add_argument("--feature-cache", type=Path, default=Path("runs") / "feature-cache", metavar="DIR",
                   help="where front-end recipes keep each clip's encoder frames (default runs/feature-cache)")
    p.add_argument("--fresh", action="store_true",
                   help="start the run folder afresh (its earlier folds, split and report are removed) when it holds "
                        "a run of another recipe, data, split or preparation; without it such a folder is refused")
    p.add_argument("--no-progress", action="store_true")


def _data_paths(args) -> list[Path]:
    return list(args.data) if args.data is not None else [data_mod.kaggle_dataset_path(args.kaggle)]


def _load(args, progress: bool = True) -> data_mod.Dataset:
    ds = data_mod.load_datasets(_data_paths(args), progress, getattr(args, "verse_cache", data_mod.DEFAULT_VERSE_CACHE))
    print("".join(f"{note}\n" for note in ds.notes), end="", flush=True)
    print(f"{', '.join(map(str, ds.roots))}: {ds.layout} layout, {len(ds.items)} clips, {len(ds.labels)} rules, "
          f"{len(set(ds.groups))} reciter group(s); left out {len(ds.skipped)}", flush=True)
    for path, err in ds.skipped:
        print(f"  left out: {err}", flush=True)
    return ds


def _context(args, argv: list[str]) -> tuple[Recipe, str, dict]:
    """The recipe, the data source and the report context of a `train` command line.

    The command recorded is the whole run's: `--fold K` (and `--fresh`) is dropped, so it reproduces every fold.
    """
    recipe = load_recipe(args.recipe).with_overrides(epochs=args.epochs)
    source = " + ".join(map(str, args.data)) if args.data is not None else f"kaggle:{args.kaggle}"
    whole = [a for i, a in enumerate(argv)
             if a not in ("--fold", "--fresh") and (i == 0 or argv[i - 1] != "--fold")]
    context = {"data": source, "strategy": args.split, "recipe": recipe.to_dict(), "seed": args.seed,
               "command": "python -m trainer " + shlex.join(whole)}
    return recipe, source, context


def check_calibration_source(run_dir: Path, recipe: str, epochs: int | None) -> None:
    """What `--calibrate-on` needs that can be read before decoding: a leave-one-voice-out run of
    this recipe (the labels and the data's fingerprint are checked once the data is loaded)."""
    from .calibration import CalibrationSourceError, from_voices_run

    try:
        from_voices_run(run_dir, None, None, load_recipe(recipe).with_overrides(epochs=epochs).to_dict())
    except CalibrationSourceError as exc:
        raise UsageError(str(exc)) from None


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
    if args.calibrate_on is not None:
        check_calibration_source(args.calibrate_on, args.recipe, args.epochs)
    if args.fold is not None and not 1 <= args.fold <= n_folds:
        raise UsageError(f"--fold must be between 1 and {n_folds} for this split, not {args.fold}")


def cmd_train(args, argv: list[str]) -> int:
    from .calibration import from_voices_run
    from .pipeline import export_bundle, finished_results, report, train_all

    check_train_args(args)
    recipe, source, context = _context(args, argv)
    ds = _load(args, not args.no_progress)
    if args.calibrate_on is not None:  # refused now, not after the training
        from_voices_run(args.calibrate_on, ds.labels, ds.fingerprint(), recipe.to_dict())
    data_name = "+".join(p.name for p in args.data) if args.data is not None else Path(source).name
    run_dir = args.run_dir or Path("runs") / f"{data_name}-{args.split.replace(':', '-')}-{recipe.name}"
    runfolder.start(run_dir, runfolder.run_record(recipe.to_dict(), ds.fingerprint(), args.split, args.folds, args.seed),
                    args.fresh)
    (run_dir / "args.json").write_text(json.dumps({"argv": [a for a in argv if a != "--fresh"]}))
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


def cmd_nested(args, argv: list[str]) -> int:
    from .nested import run_nested

    try:
        load_recipe(args.recipe)
    except RecipeError as exc:
        raise UsageError(str(exc)) from None
    if args.folds < 2:
        raise UsageError(f"--folds must be at least 2, not {args.folds}")
    check_calibration_source(args.calibrate_on, args.recipe, args.epochs)
    if args.card is not None and not (args.card / "model.json").is_file():
        raise UsageError(f"--card {args.card}: not a bundle (no model.json)")
    recipe = load_recipe(args.recipe).with_overrides(epochs=args.epochs)
    ds = _load(args, not args.no_progress)
    r = run_nested(ds, recipe, args.run_dir, args.calibrate_on, args.folds, args.seed, args.device,
                   not args.no_progress, args.feature_cache, args.fresh, args.card,
                   "python -m trainer " + shlex.join(a for a in argv if a != "--fresh"))
    for name, m in (("card's temperature and threshold", r["at_shipped"]), ("fitted without each voice", r["cross_fitted"])):
        acc = "n/a" if m["accuracy_when_sure"] is None else f"{m['accuracy_when_sure']:.3f}"
        print(f"{name}: ECE {m['ece']:.3f}, accuracy {m['accuracy']:.3f}, right among sure verdicts {acc} "
              f"({m['share_uncertain']:.0%} uncertain)")
    print(f"report in {args.run_dir / 'report'}" + (f"; card {args.card / 'model.json'} updated" if args.card else ""))
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
    recipe, _, context = _context(targs, saved)
    ds = _load(targs)
    runfolder.check(args.run_dir, runfolder.run_record(recipe.to_dict(), ds.fingerprint(), targs.split, targs.folds,
                                                       targs.seed))
    results = finished_results(args.run_dir)
    m = report(ds, results, args.run_dir, context, targs.seed)
    _print_summary(m, args.run_dir)
    export_bundle(ds, results, m, args.run_dir, args.export, args.export.name, args.calibrate_on, only_fold=args.fold)
    print(f"bundle written to {args.export}")
    return 0


def cmd_cut(args) -> int:
    from .verse_source import run_cut

    return run_cut(args.data, args.verse_cache, args.csv, not args.no_progress)


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
        if args.command == "nested":
            return cmd_nested(args, argv)
        if args.command == "export-onnx":
            return cmd_export_onnx(args)
        if args.command == "cut":
            return cmd_cut(args)
        return cmd_evaluate(args, _load)
    except UsageError as exc:
        print(f"python -m trainer {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except TajweedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
