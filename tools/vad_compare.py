"""The voice detector as it is now (core/audio/speech.py) against the one before it: silero-vad
6.2.3's "sequence" export, run as speech.py ran it until the detector came from a wheel without
torch. On the real clips and on the non-speech signals of tests/core/audio/test_speech.py: the
largest difference in a frame's speech probability, frames whose speech/no-speech call differs,
the clips each refuses ("no recitation heard") and the time each spends.

    python tools/vad_compare.py --old-model PATH/silero_vad_16k_sequence.onnx [--data ../shared/data]

The old file is inside the silero-vad 6.2.3 wheel (`pip download --no-deps silero-vad==6.2.3`,
then unzip); its sha256 is checked. Needs the dev install (pytest, for the test signals).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tajweed_desktop.core.audio import speech  # noqa: E402
from tajweed_desktop.core.audio.decode import decode_bounded  # noqa: E402
from tajweed_desktop.core.audio.recording import MAX_SECONDS  # noqa: E402
from tajweed_desktop.core.common.hashing import sha256_of  # noqa: E402

OLD_SHA256 = "9ccdacc4719d8aa7e45a77536bfabec45a03ba1f2fad5e241ab4060b24238a85"
SETS = ("tajweed4/train/*.wav", "reciters5/train/*.wav", "rules14/*/*.opus", "kaggle_samples/train/*.wav")


def old_detector(path: Path):
    import onnxruntime as ort

    if sha256_of(path) != OLD_SHA256:
        raise SystemExit(f"{path} is not silero-vad 6.2.3's silero_vad_16k_sequence.onnx")
    opts = ort.SessionOptions()
    opts.inter_op_num_threads = opts.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])

    def run(frames: np.ndarray) -> np.ndarray:  # speech.py's _run before this change
        context = np.zeros((len(frames), speech.VAD_CONTEXT), np.float32)
        context[1:] = frames[:-1, -speech.VAD_CONTEXT:]
        inputs = np.concatenate([context, frames], axis=1)
        h = np.zeros((1, 1, 128), np.float32)
        c = np.zeros((1, 1, 128), np.float32)
        out = []
        for first in range(0, len(frames), 512):
            p, h, c = session.run(["speech_probs", "hn", "cn"], {"input": inputs[first : first + 512], "h": h, "c": c})
            out.append(np.asarray(p, np.float32).reshape(-1))
        return np.concatenate(out)

    def probabilities(x: np.ndarray) -> np.ndarray:  # the same framing and scaling as speech.py
        n = -(-x.size // speech.VAD_FRAME)
        frames = np.zeros((n, speech.VAD_FRAME), np.float32)
        frames.reshape(-1)[: x.size] = x
        peaks = np.sort(np.abs(frames).max(axis=1))
        ref = float(peaks[max(0, n - speech.REFERENCE_FRAME)])
        if ref > 0:
            frames = np.clip(frames * np.float32(0.5 / ref), -1.0, 1.0)
        return np.maximum(run(frames), run(np.ascontiguousarray(frames[::-1, ::-1]))[::-1])

    return probabilities


def signals(data: Path):
    for pattern in SETS:
        for f in sorted(data.glob(pattern)):
            x, _, _ = decode_bounded(f, MAX_SECONDS)
            x = np.asarray(x, np.float32)
            x = x.mean(axis=1, dtype=np.float32) if x.ndim == 2 else x
            yield str(f.relative_to(data)), x - x.mean(dtype=np.float64).astype(np.float32), True
    from tests.core.audio.test_speech import NON_SPEECH

    for name in sorted(NON_SPEECH):
        for peak in (0.8, 0.01):
            x = NON_SPEECH[name]()
            x = (peak * x / np.abs(x).max()).astype(np.float32)
            yield f"{name} (peak {peak})", x - x.mean(dtype=np.float64).astype(np.float32), False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-model", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    args = ap.parse_args()
    old = old_detector(args.old_model)
    stats = {kind: {"n": 0, "dp": 0.0, "frames": 0, "differ": 0, "refused": [[], []], "t": [0.0, 0.0], "most": [0.0, 0.0]}
             for kind in (True, False)}
    for name, x, real in signals(args.data):
        s = stats[real]
        t0 = time.perf_counter()
        a = old(x)
        t1 = time.perf_counter()
        b = speech.speech_probabilities(x)
        t2 = time.perf_counter()
        s["t"][0] += t1 - t0
        s["t"][1] += t2 - t1
        s["n"] += 1
        s["dp"] = max(s["dp"], float(np.abs(a - b).max()))
        s["frames"] += len(a)
        s["differ"] += int((speech.speech_frames(a) != speech.speech_frames(b)).sum())
        for i, p in enumerate((a, b)):
            ev = speech.speech_evidence_seconds(p)
            s["most"][i] = max(s["most"][i], ev)
            if ev < speech.MIN_SPEECH_SECONDS:
                s["refused"][i].append(name)
    for real, s in stats.items():
        what = "real clips" if real else "non-speech signals"
        print(f"{s['n']} {what}: largest |p_old - p_new| {s['dp']:.3g}; speech/no-speech call differs for {s['differ']} of "
              f"{s['frames']} frames; refused before {len(s['refused'][0])}, now {len(s['refused'][1])}; "
              f"VAD time before {s['t'][0]:.1f} s, now {s['t'][1]:.1f} s "
              f"({1e3 * s['t'][0] / s['n']:.1f} / {1e3 * s['t'][1] / s['n']:.1f} ms each)")
        if real:
            print("  refused before:", ", ".join(s["refused"][0]) or "none")
            print("  refused now:   ", ", ".join(s["refused"][1]) or "none")
        else:
            print(f"  most speech found in one signal: before {s['most'][0]:.3f} s, now {s['most'][1]:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
