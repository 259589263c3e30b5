"""The same audio in another file: a short fingerprint of the decoded, prepared samples, so a
clip re-encoded (WAV from Opus, another bit rate) is found as well as a byte-identical copy.

The fingerprint is the sign pattern of band-energy differences across bands and frames (as in
Haitsma and Kalker's audio fingerprint): 16 log-spaced bands from 150 Hz to 5 kHz in 32 ms frames
every 16 ms of the recording as prepared (decoded, levelled, silence trimmed), 15 bits a frame.
Two clips are the same audio when, at some offset of up to 0.25 s (the trim may differ by a few
frames), their bits differ in under `MAX_BIT_ERRORS` of the frames they share, and those frames
cover most of both. Coding noise flips a few bits; another recording of the same words, even by
the same voice, flips about half (measured: see tests/trainer/test_duplicates.py).
"""

from __future__ import annotations

import numpy as np

from tajweed_desktop.core.audio.recording import Recording

RATE = 16_000
FRAME, HOP = 512, 256
BANDS = np.geomspace(150.0, 5000.0, 17)
MAX_SHIFT = 16  # frames (0.25 s)
MAX_BIT_ERRORS = 0.3
MIN_OVERLAP = 0.8


def fingerprint(rec: Recording) -> np.ndarray:
    """(frames, 15) bool for the recording as prepared (its speech, levelled)."""
    x = np.asarray(rec.speech(), np.float64)
    if x.shape[-1] < FRAME + 2 * HOP:
        x = np.pad(x, (0, FRAME + 2 * HOP - x.shape[-1]))
    n = 1 + (x.shape[-1] - FRAME) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP][:n] * np.hanning(FRAME)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(FRAME, 1.0 / RATE)
    energy = np.stack([power[:, (freqs >= lo) & (freqs < hi)].sum(1) for lo, hi in zip(BANDS[:-1], BANDS[1:])], 1)
    e = np.log(energy + 1e-10)
    d = e[:, :-1] - e[:, 1:]
    return (d[1:] - d[:-1]) > 0


def bit_error_rate(a: np.ndarray, b: np.ndarray, max_shift: int = MAX_SHIFT) -> float:
    """The lowest share of differing bits over the offsets of up to `max_shift` frames at which
    the shared frames cover at least MIN_OVERLAP of both clips (1.0 when there is none)."""
    best = 1.0
    for s in range(-max_shift, max_shift + 1):
        x, y = (a[s:], b) if s >= 0 else (a, b[-s:])
        n = min(len(x), len(y))
        if n == 0 or n < MIN_OVERLAP * max(len(a), len(b)):
            continue
        best = min(best, float(np.mean(x[:n] != y[:n])))
    return best


def same_audio_groups(fingerprints: list[np.ndarray], content_hashes: list[str] | None = None,
                      sources: list[str | None] | None = None) -> list[int]:
    """A group id per clip: clips that are byte-identical (equal `content_hashes`) or the same
    audio by fingerprint share one. Ids are the index of each group's first clip. `sources`: clips
    with the same non-None source are compared by their bytes only (the sites cut from one
    whole-verse source are each a different span of a recording: thousands of them, which the
    fingerprint comparison, quadratic in the clips, would take about 25 minutes to pair on a
    loaded 2-core CPU, measured as 20 s for 400 clips). Clips of different sources are compared."""
    n = len(fingerprints)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    if content_hashes is not None:
        first: dict[str, int] = {}
        for i, h in enumerate(content_hashes):
            join(first.setdefault(h, i), i)
    lengths = np.array([len(f) for f in fingerprints])
    for i in range(n):
        # only lengths that could overlap enough are compared: the pairs are few
        near = np.flatnonzero((lengths[i + 1:] >= MIN_OVERLAP * lengths[i] - MAX_SHIFT)
                              & (lengths[i + 1:] * MIN_OVERLAP - MAX_SHIFT <= lengths[i])) + i + 1
        if sources is not None and sources[i] is not None:
            near = [j for j in near if sources[int(j)] != sources[i]]
        for j in near:
            if root(i) != root(int(j)) and bit_error_rate(fingerprints[i], fingerprints[int(j)]) < MAX_BIT_ERRORS:
                join(i, int(j))
    return [root(i) for i in range(n)]


def overlap_groups(groups: list[int], spans: list[tuple[str, float, float] | None]) -> list[int]:
    """`groups` with clips cut from overlapping spans (recording id, start s, end s) of one
    recording joined as well; clips without a span keep their group."""
    parent = {g: g for g in groups}

    def root(g: int) -> int:
        while parent[g] != g:
            g = parent[g]
        return g

    by_source: dict[str, list[tuple[float, float, int]]] = {}
    for i, span in enumerate(spans):
        if span is not None:
            by_source.setdefault(span[0], []).append((span[1], span[2], i))
    for cuts in by_source.values():
        cuts.sort()
        reach, last = -1.0, -1  # the furthest end so far, and a clip that reaches it
        for a, b, i in cuts:
            if a < reach:  # overlaps a clip before it
                ri, rj = root(groups[last]), root(groups[i])
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
            if b > reach:
                reach, last = b, i
    return [root(g) for g in groups]


def packed(fp: np.ndarray) -> str:
    """A fingerprint as hex (the frame count first), for storing beside a bundle."""
    return f"{len(fp):x}:" + np.packbits(fp.reshape(-1)).tobytes().hex()


def unpacked(s: str) -> np.ndarray:
    count, hexbits = s.split(":", 1)
    bits = np.unpackbits(np.frombuffer(bytes.fromhex(hexbits), np.uint8))
    return bits[: int(count, 16) * 15].reshape(-1, 15).astype(bool)
