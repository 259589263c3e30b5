"""A folder of hostile inputs that every entry point (checker, app, batch view, trainer) must
survive: each file either gives a result or one clear message naming it, and the rest go on.

`make_corpus(folder)` writes the files and returns what each must give: "ok", or words that the
error message must hold. A directory named like audio and a symlink loop are searched, not read,
so they give no row at all."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.conftest import tone

RATE = 16000


def _tone(seconds: float, rate: int = RATE, amp: float = 0.3, channels: int = 1) -> np.ndarray:
    return tone(220, seconds, rate, amp, channels)


def make_corpus(folder: Path) -> dict[str, str]:
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

    os.symlink(folder, folder / "loop")  # a symlink back up the tree
    return expect


def make_hour_long(path: Path) -> None:
    """An hour of 8 kHz 8-bit audio (29 MB): longer than the 20 minutes decoded at once."""
    with sf.SoundFile(path, "w", 8000, 1, "PCM_U8") as f:
        block = _tone(60.0, 8000)
        for _ in range(60):
            f.write(block)
