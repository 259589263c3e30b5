"""Live mode over a 5-minute recording (slow: `make test-slow`): husary's verses one after another
(surah 82, then 109, 111, 112, 113 and 1: each surah change is a verse that is not the next one),
replayed at real time through the app's live code path by tools/live_long.py, in a process of its
own (this one holds torch and the test fixtures, which would hide what live mode adds) on its CPU
clock (the same replay whatever else the machine runs). Its resident memory between updates stays
under issue 19's 500 MB and does not grow, the audio each update looks at stays a verse's (not the
recording's, so the work per update does not grow with the recording either), and the learner is
followed through the surahs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need_data

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]  # real time and more on a busy 2-core CPU

REPO = Path(__file__).resolve().parents[3]


def test_five_minutes_of_consecutive_verses_keep_memory_and_work_bounded(tmp_path):
    verses = need_data("reciters5", "verses")
    out = tmp_path / "long.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, str(REPO / "tools" / "live_long.py"), "--minutes", "5", "--data", str(verses),
                          "--json", str(out), "--clock", "cpu"], env=env, capture_output=True, text=True, timeout=3500)
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stderr[-3000:]
    s = json.loads(out.read_text())
    assert s["audio_s"] >= 290
    # issue 19's 500 MB holds between updates (measured 414-453 MB); within one, the Whisper
    # encoder's working memory for a 20-30 s window (100-130 MB) goes over it: measured 556 and
    # 588 MB (docs/verse-mode.md, Live mode). The peak bound guards against growth with the
    # recording's length (842 MB before the give-up rules), with room for run-to-run spread.
    assert s["between_updates_mb"] < 500, s
    assert s["peak_mb"] < 680, s
    assert s["longest_segment_s"] < 45.0, s  # a verse's audio (and what follows it until it is found), not 5 minutes
    assert s["recited_followed"] >= 0.8 * s["verses"], s
    assert len(s["surahs_followed"]) >= len(s["surahs_recited"]) - 1, s  # the surah changes are followed
