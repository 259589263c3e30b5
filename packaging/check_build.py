"""Check a one-folder build: `python packaging/check_build.py dist/tajweed-desktop [CLIP]`.

Starts the frozen program headless twice: as a checker on a real clip, whose probabilities must
equal the installed checker's (both fp32), and as the GUI offscreen, which must load its bundled
model. Then prints the folder's size and what dominates it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "tajweed4" / "train" / "1.wav"


def probabilities(cmd: list[str], env: dict) -> dict:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300, env=env).stdout
    return json.loads(out[out.index("[") :])[0]["probabilities"]


def main() -> int:
    build = Path(sys.argv[1])
    clip = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_CLIP
    exe = build / "tajweed-desktop"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TAJWEED_MODELS_DIR")}
    frozen = probabilities([str(exe), "check", str(clip), "--json", "--device", "cpu", "--precision", "fp32"], env)
    checker = probabilities([sys.executable, "-m", "tajweed_desktop.cli", str(clip), "--json", "--device", "cpu",
                             "--precision", "fp32"], env)
    worst = max(abs(frozen[k] - checker[k]) for k in checker)
    print(f"frozen checker vs tajweed-check on {clip.name}: largest difference {worst:.2e}")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.json"
        subprocess.run([str(exe)], check=True, timeout=120, capture_output=True,
                       env=dict(env, QT_QPA_PLATFORM="offscreen", TAJWEED_STARTUP_PROBE=str(probe),
                                XDG_CONFIG_HOME=str(Path(tmp) / "cfg")))
        gui = json.loads(probe.read_text())
    print(f"frozen GUI: model loaded: {gui['model_ok']}, resident memory {gui['rss_mb']:.0f} MB")
    sizes: Counter[str] = Counter()
    for f in build.rglob("*"):
        if f.is_file() and not f.is_symlink():
            parts = f.relative_to(build).parts
            sizes["/".join(parts[:3]) if parts[0] == "_internal" else parts[0]] += f.stat().st_size
    print(f"size: {sum(sizes.values()) / 1e6:.0f} MB; largest parts:")
    for name, size in sizes.most_common(8):
        print(f"  {size / 1e6:7.0f} MB  {name}")
    ok = worst <= 1e-6 and gui["model_ok"]
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
