"""The site cut (clips.cut_span) is reciters5's training cut: each training clip, found inside its
decoded verse, starts and ends where cut_span puts it from the same QUL timings."""

from __future__ import annotations

import csv

import numpy as np
import soundfile as sf

from tajweed_desktop.core.audio.clips import cut_span
from tajweed_desktop.core.audio.decode import decode_bounded
from tajweed_desktop.core.quran import words
from tests.conftest import need_data

# MP3 decoders differ in the start delay they remove (here up to 52 ms), so the clip sits up to that
# far later in our decoding; anything else (another margin, another word) is 100 ms off or more
TOLERANCE_S = 0.06


def locate(verse: np.ndarray, clip: np.ndarray) -> int:
    n, m = len(verse), len(clip)
    xc = np.fft.irfft(np.fft.rfft(verse, 2 * n) * np.fft.rfft(clip[::-1], 2 * n))[m - 1 : n]
    energy = np.sqrt(np.convolve(verse**2, np.ones(m), "valid")) + 1e-9
    return int(np.argmax(xc / energy))


def test_training_clips_are_cut_where_cut_span_cuts():
    root = need_data("reciters5")
    onsets: dict = {}
    for r in csv.DictReader(open(root / "word_timings.csv", encoding="utf-8")):
        onsets.setdefault((r["reciter"], int(r["surah"]), int(r["ayah"])), {})[int(r["word"])] = int(r["start_ms"]) / 1000
    rows = list(csv.DictReader(open(root / "train.csv", encoding="utf-8")))
    checked = 0
    for r in rows[::17]:  # 9 clips, every reciter, within-word and cross-word sites
        rc, s, a, w, nx = r["sheikh_name"], int(r["surah"]), int(r["ayah"]), int(r["word"]), int(r["next_word"])
        q = onsets[(rc, s, a)]
        if len(q) != len(words.verse_words(s, a)):
            continue
        verse, _, _ = decode_bounded(root / "verses" / rc / f"{s:03d}{a:03d}.mp3")
        rate = 16000  # decode_bounded resamples; it returns the file's own rate
        clip, _ = sf.read(root / "train" / f"{r['id']}.wav", dtype="float32")
        found = locate(verse, clip) / rate
        _, start, end = cut_span(verse, q[w], q.get(nx + 1), rate)
        assert -0.01 <= found - start <= TOLERANCE_S, (r["id"], found, start)
        assert -0.01 <= found + len(clip) / rate - end <= TOLERANCE_S, (r["id"], found + len(clip) / rate, end)
        checked += 1
    assert checked >= 6


def test_cut_span_stays_inside_the_recording():
    x = np.arange(16000, dtype=np.float32)
    clip, a, b = cut_span(x, 0.05, None)
    assert a == 0.0 and b == 1.0 and clip.shape == (16000,)
    clip, a, b = cut_span(x, 0.5, 0.7)
    assert (a, b) == (0.38, 0.82) and clip[0] == 0.38 * 16000
