"""`tajweed-check`: check recordings from a shell; a table on stdout, optional CSV or JSON.

Exit status: 0 when every file was checked, 1 when some failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from tajweed_desktop.core.audio.files import find_audio_files
from tajweed_desktop.core.checking.batch import check_files
from tajweed_desktop.core.checking.results import (
    FileResult,
    as_json,
    with_expected,
    write_csv,
)
from tajweed_desktop.core.common.errors import BundleError
from tajweed_desktop.core.model.devices import DEVICE_CHOICES, PRECISION_CHOICES
from tajweed_desktop.core.model.paths import (
    bundled_bundles,
    bundled_models_dir,
    default_bundle_path,
    no_bundle_help,
)
from tajweed_desktop.core.quran.practice import read_expected_csv, resolve_rule, tally


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="tajweed-check", description="Check Tajweed rules in recordings.")
    ap.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="audio files or folders (searched recursively)")
    ap.add_argument("--csv", type=Path, metavar="FILE", help="also write the results as CSV (UTF-8 with BOM)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--model", type=Path, metavar="DIR",
                    help="model bundle folder, or the name of a bundled one: "
                         f"{', '.join(p.name for p in bundled_bundles()) or 'none installed'} (default: tajweed4)")
    ap.add_argument("--precision", choices=PRECISION_CHOICES, default="auto",
                    help="auto and fp32: fp32; bf16: the fold heads in bf16 with PyTorch on the CPU (needs torch; "
                         "probabilities within 0.01 of fp32)")
    ap.add_argument("--device", default="auto", choices=DEVICE_CHOICES,
                    help="auto: CUDA where PyTorch is installed and a GPU is seen, else the CPU, which runs "
                         "without PyTorch (CTranslate2 and ONNX Runtime)")
    ap.add_argument("--timeline", action="store_true", help="also analyse 4 s windows of longer recordings")
    ap.add_argument("--verses", action="store_true",
                    help="verse mode: each file is a whole verse (or consecutive verses); find it, align its words "
                         "and judge every noon sakinah / tanween site (one row per site)")
    ap.add_argument("--verse", metavar="S:A[-B]",
                    help="with --verses: the verse(s) every file should be (checked against the audio); "
                         "without it, an EveryAyah name SSSAAA.mp3 names the verse, else it is identified")
    ap.add_argument("--simulate-live", action="store_true",
                    help="with --verses: replay each file at real time through live mode (a simulated clock) and "
                         "add the columns delay_s, live_heard, live_rule and live_revisions")
    expect = ap.add_mutually_exclusive_group()
    expect.add_argument("--expect", metavar="RULE", help="the rule every file should show; counts the matches")
    expect.add_argument("--expect-csv", type=Path, metavar="FILE",
                        help="expected rule per file from a CSV (columns file,expected or the Kaggle id,label_name)")
    return ap


def _table_line(r: FileResult, width: int) -> str:
    name = str(r.path)
    if r.analysis is None:
        return f"{name:<{width}}  ERROR  {r.error}"
    c = r.analysis.clip
    flag = "uncertain: " + "; ".join(c.uncertain_reasons) if c.uncertain else ""
    if r.expected is not None:
        flag = f"expected {r.expected}: {r.outcome}  " + flag
    return f"{name:<{width}}  {c.top_rule:<12} {c.confidence:6.1%}  {flag}"


def _timeline_lines(r: FileResult) -> list[str]:
    if r.analysis is None:
        return []
    return [
        f"    {t.start:6.1f}-{t.end:6.1f} s  {t.prediction.top_rule:<12} {t.prediction.confidence:6.1%}"
        + ("  uncertain" if t.prediction.uncertain else "")
        for t in r.analysis.timeline
    ]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    given = None
    if args.simulate_live and not args.verses:
        print("tajweed-check: --simulate-live needs --verses", file=sys.stderr)
        return 2
    if args.verse is not None or args.verses:
        if args.verse is not None and not args.verses:
            print("tajweed-check: --verse needs --verses", file=sys.stderr)
            return 2
        if args.timeline or args.expect or args.expect_csv:
            print("tajweed-check: --verses takes no --timeline, --expect or --expect-csv (the verse's text gives "
                  "the expected rules)", file=sys.stderr)
            return 2
        from tajweed_desktop.core.quran.identify import parse_verse_spec

        if args.verse is not None:
            try:
                given = parse_verse_spec(args.verse)
            except ValueError as exc:
                print(f"tajweed-check: --verse {exc}", file=sys.stderr)
                return 2
    from tajweed_desktop.core.model.ensemble import (
        Ensemble,  # the runtimes load here, after argument errors are reported
    )

    model = args.model or default_bundle_path()
    if args.model is not None and not args.model.exists() and (bundled_models_dir() / args.model / "model.json").exists():
        model = bundled_models_dir() / args.model  # a bundled model by name
    if args.model is None and not (model / "model.json").exists():
        print(f"tajweed-check: {no_bundle_help(model)}", file=sys.stderr)
        return 2
    try:
        ensemble = Ensemble.from_path(model, device=args.device, precision=args.precision)
    except BundleError as exc:
        print(f"tajweed-check: {exc}", file=sys.stderr)
        return 2
    if ensemble.device_note:
        print(f"tajweed-check: {ensemble.device_note}", file=sys.stderr)

    expected_rule, expected_table = args.expect, None
    if expected_rule is not None and resolve_rule(expected_rule, ensemble.labels) is None:
        print(f"tajweed-check: --expect {expected_rule}: not a rule of {ensemble.bundle.name} "
              f"({', '.join(ensemble.labels)})", file=sys.stderr)
        return 2
    if args.expect_csv is not None:
        try:
            expected_table = read_expected_csv(args.expect_csv)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            print(f"tajweed-check: {exc}", file=sys.stderr)
            return 2

    files = find_audio_files(args.paths)
    if not files:
        print("tajweed-check: no audio files found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return 1
    if args.verses:
        return _main_verses(args, ensemble, files, given)
    show_bar = any(p.is_dir() for p in args.paths)
    width = min(60, max(len(str(f)) for f in files))
    results = []
    bar = tqdm(total=len(files), unit="file", file=sys.stderr, disable=not show_bar)
    for r in check_files(ensemble, files, timeline=args.timeline):
        r = with_expected(r, ensemble.labels, expected_rule, expected_table)
        results.append(r)
        bar.update(1)
        if not args.json:
            bar.write(_table_line(r, width), file=sys.stdout)
            if args.timeline:
                for line in _timeline_lines(r):
                    bar.write(line, file=sys.stdout)
    bar.close()
    if args.json:
        json.dump([as_json(r) for r in results], sys.stdout, indent=2, ensure_ascii=False)
        print()
    failed = sum(not r.ok for r in results)
    if args.csv:
        try:
            write_csv(args.csv, results, ensemble.labels)
        except OSError as exc:
            print(f"tajweed-check: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    judged = [r.outcome for r in results if r.expected is not None]
    if judged:
        print(f"expected rules: {tally(judged).summary()}", file=sys.stderr)
    print(f"{len(results) - failed} of {len(results)} file(s) checked with {ensemble.bundle.name} "
          f"on {ensemble.device.upper()}" + (f"; {failed} failed" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


def _main_verses(args, ensemble, files: list[Path], given) -> int:
    """Verse mode: one row per site (core/checking/verses.py's COLUMNS)."""
    import csv
    import io

    from tajweed_desktop.core.checking.verses import COLUMNS, check_verse_file, rows
    from tajweed_desktop.core.common.atomic import atomic_write_bytes
    from tajweed_desktop.core.model.transcriber import Transcriber

    transcriber = Transcriber(ensemble.encoder)
    show_bar = any(p.is_dir() for p in args.paths)
    bar = tqdm(total=len(files), unit="file", file=sys.stderr, disable=not show_bar)
    all_rows, failed, good, judged = [], 0, 0, 0
    columns = COLUMNS
    if args.simulate_live:
        from tajweed_desktop.core.audio.decode import decode_bounded
        from tajweed_desktop.core.checking.live import LIVE_COLUMNS, live_rows, replay
        from tajweed_desktop.core.checking.verses import VerseResult
        from tajweed_desktop.core.common.errors import TajweedError
        from tajweed_desktop.core.quran.identify import verse_from_filename

        columns = LIVE_COLUMNS
    for f in files:
        if args.simulate_live:
            try:
                x = decode_bounded(f)[0]
            except TajweedError as exc:
                result = VerseResult(f, error=str(exc), given=given)
                rs = [{**{k: "" for k in columns}, **r} for r in rows(result)]
            else:
                rp = replay(ensemble, transcriber, x, given or verse_from_filename(f.name), path=f)
                result, rs = rp.report.final, live_rows(rp, str(f))
        else:
            result = check_verse_file(ensemble, transcriber, f, given=given)
            rs = rows(result)
        all_rows.extend(rs)
        failed += not result.ok
        good += sum(s.outcome == "as expected" for s in result.sites)
        judged += len(result.sites)
        bar.update(1)
        if not args.json:
            bar.write(f"{f}  {result.summary()}", file=sys.stdout)
            for r in rs:
                if r["site"] != "" and r["outcome"]:
                    conf = "" if r["confidence"] == "" else f"{r['confidence']:.0%}"
                    bar.write(f"    {r['surah']}:{r['ayah']} word {r['site']:<3} {r['word']} {r['next_word']}  "
                              f"expected {r['expected'] or '-'}, heard {r['heard'] or '-'} {conf}  {r['outcome']}"
                              + (f"  (live: {r['live_heard'] or 'none'}, {r['delay_s']} s)" if args.simulate_live else ""),
                              file=sys.stdout)
    bar.close()
    if args.json:
        json.dump(all_rows, sys.stdout, indent=2, ensure_ascii=False)
        print()
    if args.csv:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(all_rows)
        try:
            atomic_write_bytes(args.csv, buf.getvalue().encode("utf-8-sig"))
        except OSError as exc:
            print(f"tajweed-check: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    print(f"{len(files) - failed} of {len(files)} file(s) checked in verse mode with {ensemble.bundle.name}: "
          f"{good} of {judged} sites as expected" + (f"; {failed} failed" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
