"""Live mode in the real window, measured: peak memory over a long recording and the longest stall
of the Qt event loop while live checking runs (issue 19's targets: < 500 MB over 5 minutes, no
stall > 50 ms).

Real verses, one after another (by default husary's 82:1-19, then the other reciters' surah 82,
until --minutes of audio), are emitted block by block through the recorder's own signal
(`Recorder.audio`, 30 ms blocks, what each drain emits) by a timer on the GUI thread, --speed times
faster than real time; a 5 ms timer records the longest gap in the event loop. At the end the
recording is "stopped" (`Recorder.finished` with the WAV written) and, with --final, the final
verse-mode pass runs on it too. Offscreen:

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python tools/live_bench.py [--minutes 5] [--speed 2] [--final]

Peak memory is the process's VmHWM (resident high-water mark) from /proc; the models are loaded
before the feeding starts, so "peak - before" is what live mode and the recording added.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = Path(os.environ.get("TAJWEED_DATA", REPO.parent / "shared" / "data"))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.responsiveness import GapProbe  # noqa: E402
from tajweed_desktop.app.main_window import MainWindow  # noqa: E402
from tajweed_desktop.app.settings import AppSettings  # noqa: E402
from tajweed_desktop.core.audio.decode import decode_bounded  # noqa: E402
from tajweed_desktop.core.common.memory import limit_malloc_arenas  # noqa: E402

RATE = 16000
BLOCK = 480  # 30 ms, the recorder's drain
RECITERS = ["husary", "minshawi", "maher", "abdul_basit", "shuraim"]


def mem(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def schedstat() -> tuple[int, int]:
    """This thread's time on a CPU and time waiting for one (ns, Linux schedstat; zeros elsewhere)."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            run, wait, _ = f.read().split()
        return int(run), int(wait)
    except (OSError, ValueError):
        return 0, 0


def verses(minutes: float) -> tuple[np.ndarray, list[str]]:
    out, names, total = [], [], 0
    for reciter in RECITERS:
        for path in sorted((DATA / "reciters5" / "verses" / reciter).glob("082*.mp3")):
            x = decode_bounded(path)[0]
            out += [x, np.zeros(int(0.4 * RATE), np.float32)]  # a breath between verses
            names.append(f"{reciter}/{path.name}")
            total += len(x) + int(0.4 * RATE)
            if total >= minutes * 60 * RATE:
                return np.concatenate(out)[: int(minutes * 60 * RATE)], names
    return np.concatenate(out), names


def wait(app, cond, timeout: float) -> bool:
    end = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > end:
            return False
        app.processEvents()
        time.sleep(0.002)
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--speed", type=float, default=2.0, help="times faster than real time")
    ap.add_argument("--final", action="store_true", help="also run the final verse-mode pass after Stop")
    ap.add_argument("--model", default=None, help="bundle (default: the app's default)")
    args = ap.parse_args()

    limit_malloc_arenas()  # as the app's main does, before any thread starts
    app = QApplication.instance() or QApplication([])
    from tajweed_desktop.app.workers import collect_garbage_on_the_gui_thread

    collector = collect_garbage_on_the_gui_thread()  # as the app's main does  # noqa: F841
    x, names = verses(args.minutes)
    tmp = Path(tempfile.mkdtemp())
    settings = AppSettings(tmp / "settings.ini")
    settings.set("analysis/device", "cpu")
    if args.model:
        settings.set("analysis/model", args.model)
    w = MainWindow(settings)
    w.resize(1024, 700)
    w.show()
    assert wait(app, lambda: w.ensemble is not None, 300), "the model did not load"
    from tajweed_desktop.app.verse_mode import shared_transcriber

    shared_transcriber(w.ensemble)  # loaded before the clock starts, as after a first recording
    assert wait(app, lambda: not w.workers.busy, 300)  # the window idle, as when the learner presses Record
    before = mem("VmRSS")
    print(f"{len(x) / RATE / 60:.1f} min of audio: {len(names)} verses ({names[0]} … {names[-1]}); "
          f"RSS before feeding {before:.0f} MB", flush=True)

    recorder = w.toolbar.recorder
    fed = [0]
    started = time.perf_counter()
    states = []
    w.live.state_shown.connect(states.append)

    def pump():  # the blocks due by now, at --speed times real time
        due = min(len(x), int((time.perf_counter() - started) * args.speed * RATE))
        while fed[0] + BLOCK <= due or (due == len(x) and fed[0] < len(x)):
            recorder.audio.emit(x[fed[0] : fed[0] + BLOCK], RATE)
            fed[0] += BLOCK

    feeder = QTimer(interval=10)
    feeder.timeout.connect(pump)
    probe = GapProbe()
    long_gaps = []  # (when, ms) of each gap over 30 ms
    why = []  # per gap over 50 ms: (ms, the GUI thread's CPU ms, its ms waiting for a CPU, the rest: blocked, e.g. on the GIL)
    tick = probe._tick
    sched = [schedstat()]

    def noting_tick():
        before, cpu_before = probe.last, getattr(probe, "last_cpu", 0.0)
        tick()
        now_sched = schedstat()
        if before is not None and probe.last - before > 0.03:
            gap = probe.last - before
            long_gaps.append((round(probe.last - started, 1), round(gap * 1e3)))
            if gap > 0.05:
                cpu, queued = probe.last_cpu - cpu_before, (now_sched[1] - sched[0][1]) / 1e9
                why.append((round(gap * 1e3), round(cpu * 1e3), round(queued * 1e3), round((gap - cpu - queued) * 1e3)))
        sched[0] = now_sched

    probe.timer.timeout.disconnect()
    probe.timer.timeout.connect(noting_tick)
    probe.start()
    feeder.start()
    peaks, rss_peak, next_report = [], 0.0, 30.0
    while fed[0] < len(x):
        app.processEvents()
        time.sleep(0.001)
        rss_peak = max(rss_peak, mem("VmRSS"))
        if fed[0] / RATE >= next_report:
            st = w.live.state
            print(f"  {fed[0] / RATE:5.0f} s fed: RSS {mem('VmRSS'):.0f} MB, longest stall so far "
                  f"{probe.longest * 1e3:.0f} ms, {len(states)} states, "
                  f"{len(st.sites) if st else 0} sites, status {st.status if st else '-'}", flush=True)
            next_report += 30.0
    feeder.stop()
    wait(app, lambda: False, 2.0)  # the last update's state
    stall = probe.stop()
    elapsed = time.perf_counter() - started
    st = w.live.state
    live_peak = mem("VmHWM")
    print(f"live: {len(x) / RATE:.0f} s of audio fed in {elapsed:.0f} s; {len(states)} states shown; "
          f"{len(st.sites) if st else 0} sites judged live; verses followed: "
          f"{', '.join(f'{a}:{b}' for a, b in st.verses) if st else '-'}")
    print(f"longest event-loop stall while live ran: {stall * 1e3:.0f} ms (5 ms timer; target 50 ms); "
          f"gaps over 30 ms: {len(long_gaps)}, over 50 ms: {sum(ms > 50 for _, ms in long_gaps)}: "
          f"{sorted(long_gaps, key=lambda g: -g[1])[:8]} (s into the run, ms)")
    if why:
        print(f"gaps over 50 ms as (ms, GUI thread on a CPU, waiting for a CPU, blocked): {sorted(why, reverse=True)[:8]}; "
              f"waiting for a CPU {sum(w[2] for w in why) / sum(w[0] for w in why):.0%} of their time "
              "(another process or thread had the cores: the machine's load, not the window's work)")
    print(f"RSS: before {before:.0f} MB, peak while live {rss_peak:.0f} MB (sampled), VmHWM {live_peak:.0f} MB "
          f"(target < 500 MB)", flush=True)

    path = tmp / "Recitation.wav"
    sf.write(path, x, RATE, subtype="PCM_16")
    probe.start()
    recorder.finished.emit(str(path))  # Stop: the window opens the file, the final check runs
    if args.final:
        t0 = time.perf_counter()
        done = wait(app, lambda: w.analysis.verse_result is not None and not w.workers.busy, 1800)
        print(f"final pass: {'done' if done else 'not done in 30 min'} in {time.perf_counter() - t0:.0f} s: "
              f"{w.panel.verdict.text()}; VmHWM {mem('VmHWM'):.0f} MB; longest stall {probe.stop() * 1e3:.0f} ms")
    w.live.end()
    w.workers.cancel_all()
    w.close()
    wait(app, lambda: not w.workers.busy, 120)


if __name__ == "__main__":
    main()
