"""Microphone recording and playback with sounddevice (PortAudio).

PortAudio calls our callbacks on its own thread. They only copy samples into a queue (recording)
or read from an array and bump a frame counter (playback); the GUI thread drains the queue and
reads the counter on a QTimer. No callback ever touches a widget.

A device may deliver its first samples well after its stream starts (a PulseAudio source waking
from idle: 1.6-2.0 s measured on a null sink's monitor), and what it heard before that never
reaches PortAudio, so no buffer of ours can keep it. The recorder therefore says when the first
samples arrive (`started`), and the window asks the user to recite only then.

Recording goes to disk as it arrives: every drain appends to a 16-bit WAV and flushes it, which
rewrites the header, so a crash, a kill or an unplugged microphone leaves a playable file holding
everything up to the last drain (about 30 ms).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import queue
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import QObject, QTimer, Signal

try:  # PortAudio is a system library; without it the app still opens and analyses files
    import sounddevice as sd

    UNAVAILABLE_REASON = None
except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be loaded
    sd = None
    UNAVAILABLE_REASON = f"PortAudio is not installed ({exc})"

log = logging.getLogger("tajweed_desktop.audio")
RECORD_RATE = 16_000
DRAIN_MS = 30


def input_devices() -> list[tuple[int, str]]:
    if sd is None:
        return []
    try:
        return [(i, d["name"]) for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]
    except Exception:  # PortAudio errors when no audio system is running at all
        return []


def output_devices() -> list[tuple[int, str]]:
    if sd is None:
        return []
    try:
        return [(i, d["name"]) for i, d in enumerate(sd.query_devices()) if d["max_output_channels"] > 0]
    except Exception:
        return []


def rescan_devices() -> None:
    """Make PortAudio enumerate devices again: it lists them once, when it starts, so a microphone
    plugged in (or a sound server started) later stays invisible until it restarts. Callers must
    not have a stream open."""
    if sd is None:
        return
    try:  # sounddevice has no public call for this; these two are what it runs at import and exit
        sd._terminate()
        sd._initialize()
    except Exception:  # PortAudio refuses to start at all: input_devices() then says none
        pass


def recording_unavailable_reason(inputs: list[tuple[int, str]] | None = None) -> str | None:
    """Why recording cannot start, or None; `inputs` is a device list the caller already has."""
    if UNAVAILABLE_REASON:
        return UNAVAILABLE_REASON
    if not (input_devices() if inputs is None else inputs):
        return "no microphone or other input device was found"
    return None


def new_recording_path(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H-%M-%S")
    path = folder / f"Recitation {stamp}.wav"
    n = 2
    while path.exists():
        path = folder / f"Recitation {stamp} ({n}).wav"
        n += 1
    return path


class Recorder(QObject):
    level = Signal(float)  # peak of the last drain, dBFS
    elapsed = Signal(float)  # seconds recorded so far
    started = Signal(float)  # the first samples arrived, this many seconds after start()
    finished = Signal(str)  # path of the complete WAV
    failed = Signal(str, str)  # message, path of the WAV holding what was recorded (may be "")
    # each block just written to the file (mono float32, and its rate), for live mode to read; the
    # drain does not wait on what a receiver does with it beyond the call (live_mode.py copies it)
    audio = Signal(object, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_MS)
        self._timer.timeout.connect(self._drain)
        self._stream = None
        self._file: sf.SoundFile | None = None
        self.path: Path | None = None
        self.frames = 0
        self.heard = False  # whether the device has delivered any samples yet
        self._pressed = 0.0

    @property
    def recording(self) -> bool:
        return self._stream is not None

    def start(self, folder: Path, device: int | str | None = None) -> Path:
        reason = recording_unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        self.path = new_recording_path(folder)
        self._pressed, self.heard = time.monotonic(), False
        self._file = sf.SoundFile(self.path, "w", samplerate=RECORD_RATE, channels=1, subtype="PCM_16", format="WAV")
        self.frames = 0
        try:
            self._stream = sd.InputStream(samplerate=RECORD_RATE, channels=1, dtype="float32", device=device,
                                          callback=self._callback)
            self._stream.start()
        except Exception as exc:
            self._stream = None
            self._close_file()
            self.path.unlink(missing_ok=True)
            raise RuntimeError(f"cannot open the input device ({exc})") from None
        self._timer.start()
        return self.path

    def _callback(self, indata, frames, time_info, status) -> None:  # PortAudio's thread
        self._queue.put(indata.copy())

    def _drain(self, stopping: bool = False) -> None:
        """Write what the callback queued; `stopping`: the last drain of a stream stopped on purpose
        (which is not active any more, and must not be taken for a device that went away)."""
        blocks = []
        while True:
            try:
                blocks.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if blocks and self._file is not None:
            data = np.concatenate(blocks)
            self._file.write(data)
            self._file.flush()  # rewrites the WAV header: the file is playable at every moment
            self.frames += len(data)
            self.audio.emit(data[:, 0], RECORD_RATE)
            if not self.heard:
                self.heard = True
                delay = time.monotonic() - self._pressed
                log.info("the input device delivered its first samples %.2f s after Record", delay)
                self.started.emit(delay)
            peak = float(np.abs(data).max())
            self.level.emit(20 * math.log10(max(peak, 1e-6)))
            self.elapsed.emit(self.frames / RECORD_RATE)
        if not stopping and self._stream is not None and not self._stream.active:  # device unplugged or stream died
            path = str(self.path)
            self._finish()
            self.failed.emit("the input device stopped; what was recorded so far is saved", path)

    def stop(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.stop()
        except Exception:  # a vanished device can fail to stop; the samples are already on disk
            pass
        self._drain(stopping=True)
        path = str(self.path)
        self._finish()
        self.finished.emit(path)

    def _finish(self) -> None:
        self._timer.stop()
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:
                pass
        self._stream = None
        self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Player(QObject):
    """Plays a span of a mono array; `position` (seconds) is read on a timer by the GUI."""

    position = Signal(float)
    stopped = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_MS)
        self._timer.timeout.connect(self._tick)
        self._stream = None
        self._samples = np.zeros(0, np.float32)
        self._rate = RECORD_RATE
        self._frame = 0
        self._end = 0

    @property
    def playing(self) -> bool:
        return self._stream is not None

    def play(self, samples: np.ndarray, rate: int, start: float = 0.0, end: float | None = None,
             device: int | str | None = None) -> None:
        if sd is None:
            raise RuntimeError(UNAVAILABLE_REASON)
        self.stop()
        peak = float(np.abs(samples).max()) if len(samples) else 1.0
        self._samples = (samples / max(peak, 1e-6) * 0.9).astype(np.float32)  # never clip on playback
        self._rate = rate
        self._frame = int(start * rate)
        self._end = len(samples) if end is None else min(len(samples), int(end * rate))
        self._stream = sd.OutputStream(samplerate=rate, channels=1, dtype="float32", device=device,
                                       callback=self._callback)
        self._stream.start()
        self._timer.start()

    def _callback(self, outdata, frames, time_info, status) -> None:  # PortAudio's thread
        chunk = self._samples[self._frame : min(self._frame + frames, self._end)]
        outdata[: len(chunk), 0] = chunk
        outdata[len(chunk) :, 0] = 0
        self._frame += len(chunk)
        if len(chunk) < frames:
            raise sd.CallbackStop

    def _tick(self) -> None:
        self.position.emit(self._frame / self._rate)
        if self._stream is not None and not self._stream.active:
            self.stop()

    def stop(self) -> None:
        if self._stream is None:
            return
        self._timer.stop()
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:
            pass
        self._stream = None
        self.position.emit(self._frame / self._rate)
        self.stopped.emit()
