"""The CPU path of the checker never imports torch (nor scipy, whose import alone costs 74 MB):
what the desktop build, which leaves both out, relies on."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO, need_data

CHECK = """
import json, sys
from tajweed_desktop.cli import main
code = main([*sys.argv[1:], "--json"])
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"torch", "torchaudio", "scipy", "sklearn"})
print("HEAVY" + json.dumps({"code": code, "heavy": heavy}))
"""


def run_checker(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHECK, *args], capture_output=True, text=True, timeout=300, cwd=REPO)
    line = next((x for x in out.stdout.splitlines() if x.startswith("HEAVY")), None)
    assert line is not None, out.stderr[-2000:]
    result = json.loads(line[len("HEAVY"):])
    result["verdicts"] = json.loads(out.stdout[out.stdout.index("[") : out.stdout.index("HEAVY")])
    return result


def test_checking_real_clips_on_the_cpu_never_imports_torch():
    clip = need_data("tajweed4", "train", "1.wav")
    verse = next(iter(sorted(need_data("reciters5", "verses").rglob("*.mp3"))))  # 44.1 kHz: resampled
    got = run_checker(str(clip), str(verse), "--device", "cpu", "--timeline")
    assert got["code"] == 0 and got["heavy"] == []
    assert [v["top_rule"] in ("Idgham", "Ikhfa", "Iqlab", "Izhar") for v in got["verdicts"]] == [True, True]


def test_the_default_device_on_a_machine_without_cuda_never_imports_torch():
    from tajweed_desktop.core.model import frontend

    if frontend.cuda_available():
        import pytest

        pytest.skip("this machine has CUDA: the default device runs the torch heads there")
    got = run_checker(str(need_data("rules14", "iqlab", "tes 1.opus")), "--model", "rules14")
    assert got["code"] == 0 and got["heavy"] == [] and len(got["verdicts"][0]["probabilities"]) == 14
