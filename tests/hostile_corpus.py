"""A folder of hostile inputs that every entry point (checker, app, batch view, trainer) must
survive: each file either gives a result or one clear message naming it, and the rest go on.

`make_corpus(folder)` writes the files and returns what each must give: "ok", or words that the
error message must hold. A directory named like audio and a symlink loop are searched, not read,
so they give no row at all."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.conftest import voice

RATE = 16000


def _tone(seconds: float, rate: int = RATE, amp: float = 0.3, channels: int = 1) -> np.ndarray:
    """A recitation (real voice: a tone is no longer analysed, see make_corpus's "no recitation")."""
    return voice(seconds, rate, amp, channels)


def add_special_files(folder: Path) -> dict[str, str]:
    """A named pipe, a unix socket and a symlink to /dev/zero, all named like audio: listed and
    reported as skipped, never opened (opening the pipe would wait for a writer forever)."""
    os.mkfifo(folder / "named pipe.wav")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(folder / "socket.wav"))  # the socket file stays when the socket closes
    os.symlink("/dev/zero", folder / "zero.wav")
    return {"named pipe.wav": "skipped: not a regular file (a named pipe (FIFO))",
            "socket.wav": "skipped: not a regular file (a socket)",
            "zero.wav": "skipped: not a regular file (a character device)"}


def make_corpus(folder: Path, special: bool = True) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str] = {}

    def write(name: str, data: np.ndarray, rate: int = RATE, subtype: str | None = None, want: str = "ok") -> None:
        sf.write(folder / name, data, rate, subtype=subtype)
        expect[name] = want

    write("good tone.wav", _tone(2.0))
    full = (folder / "good tone.wav").read_bytes()
    (folder / "zero bytes.wav").write_bytes(b"")
    expect["zero bytes.wav"] = "0 bytes long"
    (folder / "truncated header.wav").write_bytes(full[:30])
    expect["truncated header.wav"] = "not a readable audio file"
    (folder / "promises more.wav").write_bytes(full[: len(full) // 2])  # header says 2 s, holds 1 s
    expect["promises more.wav"] = "ok"
    (folder / "random bytes.wav").write_bytes(np.random.default_rng(0).bytes(50_000))
    expect["random bytes.wav"] = "not a readable audio file"
    (folder / "notes.mp3").write_text("this is a text file, not audio\n")
    expect["notes.mp3"] = "not a readable audio file"
    (folder / "x.wav").mkdir()  # a directory with an audio name is searched, not read

    write("digital silence.wav", np.zeros(2 * RATE, np.float32), want="no sound")
    write("near silence.wav", (np.random.default_rng(1).standard_normal(2 * RATE) * 1e-4).astype(np.float32),
          subtype="FLOAT", want="no sound")
    write("nan.wav", np.full(RATE, np.nan, np.float32), subtype="FLOAT", want="NaN or infinite")
    write("inf.wav", np.full(RATE, np.inf, np.float32), subtype="FLOAT", want="NaN or infinite")
    write("hard clipped.wav", np.clip(_tone(2.0, amp=3.0), -1, 1))
    write("10 ms.wav", _tone(0.01), want="too short")

    write("8 kHz 8-bit.wav", _tone(2.0, 8000), 8000, subtype="PCM_U8")
    write("96 kHz 24-bit.wav", _tone(1.0, 96000), 96000, subtype="PCM_24")
    write("32-bit float.wav", _tone(2.0), subtype="FLOAT")
    write("six channels.wav", _tone(2.0, channels=6))
    write("تلاوة الفاتحة 🎙.wav", _tone(1.5))
    write("name with   spaces .flac", _tone(1.5))

    # sound, but no voice: no rule verdict, the reason instead
    t = np.arange(2 * RATE, dtype=np.float32) / RATE
    rng = np.random.default_rng(2)
    write("tone 180 Hz.wav", 0.3 * np.sin(2 * np.pi * 180 * t), want="no recitation heard")
    write("white noise.wav", 0.1 * rng.standard_normal(2 * RATE).astype(np.float32), want="no recitation heard")
    write("hum 50 Hz.wav", sum(0.1 / k * np.sin(2 * np.pi * 50 * k * t) for k in range(1, 10)), want="no recitation heard")
    write("chord.wav", sum(0.1 * np.sin(2 * np.pi * f * t) for f in (262, 330, 392)), want="no recitation heard")
    write("dc offset and noise.wav", 0.5 + 0.003 * rng.standard_normal(2 * RATE).astype(np.float32),
          want="no recitation heard")
    write("dc offset only.wav", np.full(2 * RATE, 0.4, np.float32), want="no sound")
    write("recitation with dc offset.wav", 0.4 + _tone(2.0))  # DC is removed before anything else

    if special:
        expect.update(add_special_files(folder))
    os.symlink(folder, folder / "loop")  # a symlink back up the tree
    return expect


def make_hour_long(path: Path) -> None:
    """An hour of 8 kHz 8-bit audio (29 MB): longer than the 20 minutes decoded at once."""
    with sf.SoundFile(path, "w", 8000, 1, "PCM_U8") as f:
        block = _tone(60.0, 8000)
        for _ in range(60):
            f.write(block)
