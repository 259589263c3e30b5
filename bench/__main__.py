"""`python -m bench [--quick]`: every performance figure in the README, as one Markdown table.

Each figure is a median of several runs; ratios compare against a baseline run in the same
process, interleaved with it. Needs ../shared/data/tajweed4 and the bundled assets/models.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tajweed_desktop.core.audio.files import find_audio_files  # noqa: E402
from tajweed_desktop.core.model.bundle import load_bundle  # noqa: E402
from tajweed_desktop.core.model.paths import bundled_models_dir, default_bundle_path  # noqa: E402

from . import common  # noqa: E402

SECTIONS = ("window", "frontend", "inference", "verses", "startup", "responsiveness", "training")
RAW_BUNDLE = "tajweed4-waveform"  # the raw-waveform CNN1D: the naive path and roofline refer to it


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tajweed4")
    ap.add_argument("--only", choices=SECTIONS, action="append", help="run only these sections")
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args(argv)
    sections = args.only or SECTIONS
    files = find_audio_files([args.data / "train"])
    if not files:
        print(f"no clips in {args.data / 'train'}", file=sys.stderr)
        return 2
    bundle_path = default_bundle_path()
    raw_path = bundled_models_dir() / RAW_BUNDLE
    rows: list[dict] = []
    if "window" in sections:
        from . import verses, window

        rows += window.run(load_bundle(bundle_path), files, args.repeats,
                           verses.ten_second_verse(args.data.parent / "reciters5" / "verses"))
    if "frontend" in sections:
        from . import frontend

        rows += frontend.run(load_bundle(bundle_path), load_bundle(raw_path), files, args.repeats)
    if "inference" in sections:
        from . import inference

        rows += inference.run(load_bundle(raw_path), files, args.repeats, naive_every=5)
    if "verses" in sections:
        from . import verses

        rows += verses.run(load_bundle(bundle_path), bundle_path, args.data.parent / "reciters5" / "verses", args.repeats)
    if "startup" in sections:
        from . import inference, startup, verses

        rows += startup.run(max(3, args.repeats // 2), inference.four_second_clip(files),
                            verses.ten_second_verse(args.data.parent / "reciters5" / "verses"))
    if "responsiveness" in sections:
        from . import inference, responsiveness, verses

        rows += responsiveness.run(bundle_path, inference.four_second_clip(files), args.data / "train", max(3, args.repeats // 3),
                                   verses.ten_second_verse(args.data.parent / "reciters5" / "verses"))
    if "training" in sections:
        from trainer.data import load_dataset

        from . import training

        rows += training.run(load_dataset(args.data, show_progress=False), args.repeats)

    print(f"Machine: {common.machine()}; bundle {bundle_path.name}; data {args.data}\n")
    print("| measure | median | against the baseline | target |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['value']} | {r['ratio']} | {r['target']} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": common.machine(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
