"""Put each listed mistake back, in a copy of the code, and run the tests meant to catch it: every
one must fail. `python tools/put_back_mistakes.py [NAME...]` prints one line per mistake and exits
1 if any went unnoticed. The working tree is never changed (a copy in a temporary folder is).

The mistakes of issue 18's item 10, and the defects of its items 1-3 that the new tests guard.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
T = "tests/trainer/"

MISTAKES = {
    "fit_temperature returns 1.0": (
        "trainer/metrics.py", "    return float(np.exp(res.x))", "    return 1.0",
        [T + "test_mistakes.py::test_the_temperature_is_the_one_that_fits"]),
    "fit_temperature unbounded": (
        "trainer/metrics.py", 'bounds=(np.log(bounds[0]), np.log(bounds[1])), method="bounded",\n                          options={"xatol": 1e-6})',
        'method="brent")',
        [T + "test_mistakes.py::test_near_uniform_logits_reach_the_lower_bound"]),
    "the worst epoch on the inner split kept": (
        "trainer/train.py", 'return select == "last" or inner_f1 > kept_inner_f1',
        'return select == "last" or kept_inner_f1 < 0 or inner_f1 < kept_inner_f1',
        [T + "test_mistakes.py::test_the_epoch_kept_is_the_best_on_the_inner_split"]),
    "voices split replaced by stratified": (
        "trainer/folds.py", "splits = LeaveOneGroupOut().split(idx, y, groups)",
        "splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(idx, y)",
        [T + "test_mistakes.py::test_the_voices_split_holds_each_voice_out_once"]),
    "augmented variants not trimmed": (
        "trainer/features.py", "speech = torch.from_numpy(rec.speech())", "speech = torch.from_numpy(rec.samples)",
        [T + "test_mistakes.py::test_an_unaugmented_variant_is_the_inference_clip",
         T + "test_mistakes.py::test_augmented_variants_are_trimmed_and_levelled"]),
    "augmented variants not levelled": (
        "trainer/features.py", "speech = torch.from_numpy(rec.speech())",
        "speech = torch.from_numpy(rec.speech() / 10 ** (rec.gain_db / 20))",
        [T + "test_mistakes.py::test_an_unaugmented_variant_is_the_inference_clip",
         T + "test_mistakes.py::test_augmented_variants_are_trimmed_and_levelled"]),
    "fold-agreement rule switched off": (
        "tajweed_desktop/core/model/ensemble.py", 'if agreement < t["min_agreement"]:', 'if False:',
        [T + "test_mistakes.py::test_fold_models_that_disagree_make_a_verdict_uncertain"]),
    "word contexts by position (item 1)": (
        "trainer/data.py", 'context = spoken_context(*map(int, where), (row.get("token") or "").strip(),',
        'context = ":".join(where) or spoken_context(*map(int, where), (row.get("token") or "").strip(),',
        [T + "test_numbers_hold.py::test_the_words_split_holds_repeated_phrases_out_together"]),
    "--calibrate-on takes any run (item 2)": (
        "trainer/calibration.py", 'if split.get("kind") != LEAVE_ONE_VOICE_OUT:',
        'if not m.get("calibration"):',
        [T + "test_numbers_hold.py::test_calibrate_on_refuses_anything_but_a_voices_run_of_this_recipe"]),
    "a run folder compares only the split (item 3)": (
        "trainer/runfolder.py", 'FIELDS = ("recipe", "data_fingerprint", "split", "preparation")', 'FIELDS = ("split",)',
        [T + "test_numbers_hold.py::test_a_run_folder_refuses_another_recipe_and_starts_afresh_when_asked"]),
    "frame-cache key without padding and log-mel (item 8)": (
        "trainer/features.py", 'blob = json.dumps(frames_version() if version is None else version, sort_keys=True).encode()',
        'blob = json.dumps(frontend.WEIGHTS_SHA256).encode()',
        [T + "test_numbers_hold.py::test_the_frame_cache_key_follows_what_changes_the_frames"]),
}


def copy_tree(dst: Path) -> None:
    for name in ("trainer", "tajweed_desktop", "tests", "tools"):
        shutil.copytree(ROOT / name, dst / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    (dst / "assets").symlink_to(ROOT / "assets")


def check(name: str) -> bool:
    path, old, new, tests = MISTAKES[name]
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp)
        copy_tree(dst)
        text = (dst / path).read_text()
        if text.count(old) != 1:
            print(f"CANNOT APPLY  {name}: {path} no longer holds the line it changes")
            return False
        (dst / path).write_text(text.replace(old, new))
        env = {**os.environ, "PYTHONPATH": str(dst), "TAJWEED_DATA": os.environ.get("TAJWEED_DATA", str(ROOT.parent / "shared" / "data"))}
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=dst, env=env,
                             capture_output=True, text=True)
    caught = run.returncode != 0
    last = (run.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"{'caught' if caught else 'MISSED'}  {name}: {last}", flush=True)
    return caught


def main() -> int:
    names = sys.argv[1:] or list(MISTAKES)
    return 0 if all([check(n) for n in names]) else 1


if __name__ == "__main__":
    sys.exit(main())
