"""Cold start of the real app in a fresh process: time to a window on screen, time to the model
ready, and resident memory with the bundle loaded, after a clip and after a verse (reported by the
app's startup probe)."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def launch_once(home: Path, clip: Path | None = None) -> dict:
    probe = home / "probe.json"
    probe.unlink(missing_ok=True)
    env = dict(os.environ, TAJWEED_STARTUP_PROBE=str(probe), QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"), XDG_STATE_HOME=str(home / "state"))
    start = time.time()
    subprocess.run([sys.executable, "-m", "tajweed_desktop", *([str(clip)] if clip else [])], env=env, check=True,
                   timeout=120, capture_output=True)
    r = json.loads(probe.read_text())
    if not r["model_ok"]:
        raise RuntimeError("the app started without a model; run from a checkout with assets/models")
    return {"window": r["window_shown"] - start, "model": r["model_ready"] - start, "rss_mb": r["rss_mb"],
            "torch": float(r.get("torch_imported", True))}


def run(launches: int, clip: Path, verse: Path | None = None) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        launch_once(Path(tmp))  # the first launch also warms the disk cache; not counted
        runs = [launch_once(Path(tmp)) for _ in range(launches)]
        analysed = [launch_once(Path(tmp), clip) for _ in range(launches)]
        checked = []
        if verse is not None:  # under a name that does not say the verse: found from the audio, as a learner's file
            unnamed = Path(tmp) / "my recitation.mp3"
            shutil.copy(verse, unnamed)
            checked = [launch_once(Path(tmp), unnamed) for _ in range(launches)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    after = statistics.median(r["rss_mb"] for r in analysed)
    torch_loaded = sum(r["torch"] for r in runs + analysed)
    torch_only = statistics.median(torch_import_rss_mb() for _ in range(3))
    return [
        {"what": f"cold start: window on screen (median of {launches} launches)", "value": f"{med['window']:.2f} s",
         "ratio": "", "target": "< 1 s"},
        {"what": "cold start: model loaded and warmed up", "value": f"{med['model']:.2f} s", "ratio": "", "target": "< 3 s"},
        {"what": "resident memory, app with the bundle loaded", "value": f"{med['rss_mb']:.0f} MB",
         "ratio": f"torch imported in {torch_loaded:.0f} of {2 * launches} launches", "target": "< 400 MB"},
        {"what": f"resident memory, app after analysing {clip.name} (given on the command line)", "value": f"{after:.0f} MB",
         "ratio": "", "target": ""},
        {"what": "resident memory of `import torch` alone, for comparison", "value": f"{torch_only:.0f} MB",
         "ratio": "", "target": ""},
    ] + ([
        {"what": f"resident memory, app after checking {verse.parent.name}/{verse.name} in verse mode (found from "
                 "the audio; given on the command line; the decoder loaded)",
         "value": f"{statistics.median(r['rss_mb'] for r in checked):.0f} MB", "ratio": "", "target": "< 480 MB"},
    ] if checked else [])


def torch_import_rss_mb() -> float:
    code = "import torch\nfrom tajweed_desktop.core.common.memory import resident_mb\nprint(resident_mb())"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
