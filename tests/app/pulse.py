"""The PulseAudio server the recording tests use: a 440 Hz virtual source and a null sink
(`pulse_tone`), and a virtual microphone that hears what is played (`pulse_mic`). The fixtures
are registered in conftest.py; each skips, saying why, where no server can be started."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tajweed_desktop.app import audio_io


def _pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], check=True, capture_output=True, text=True, timeout=10).stdout.strip()


@pytest.fixture(scope="session")
def pulse_tone():
    if not shutil.which("pulseaudio") or not shutil.which("pactl"):
        pytest.skip("no PulseAudio server installed (apt packages pulseaudio libportaudio2 libasound2-plugins)")
    if audio_io.sd is None:
        pytest.skip(audio_io.UNAVAILABLE_REASON)
    if subprocess.run(["pulseaudio", "--check"]).returncode != 0:
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1"], capture_output=True, timeout=20)
    try:
        modules = [_pactl("load-module", "module-sine-source", "frequency=440", "source_name=tajweed_tone"),
                   _pactl("load-module", "module-null-sink", "sink_name=tajweed_null")]
        _pactl("set-default-source", "tajweed_tone")
        _pactl("set-default-sink", "tajweed_null")
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"PulseAudio server could not be started here ({exc})")
    yield
    for m in modules:
        subprocess.run(["pactl", "unload-module", m], capture_output=True)


@pytest.fixture
def pulse_mic(pulse_tone, monkeypatch):
    """A virtual microphone that hears what is played: the monitor of a null sink. Idle, such a
    source delivers its first samples 1.6-2.0 s after a recording starts (measured here)."""
    module = _pactl("load-module", "module-null-sink", "sink_name=tajweed_mic")
    monkeypatch.setenv("PULSE_SOURCE", "tajweed_mic.monitor")
    yield "tajweed_mic"
    subprocess.run(["pactl", "unload-module", module], capture_output=True)


def route_recordings_to(source: str) -> None:
    """Move every recording stream to `source` (in case the server routed one elsewhere)."""
    for line in _pactl("list", "short", "source-outputs").splitlines():
        subprocess.run(["pactl", "move-source-output", line.split()[0], source], capture_output=True, timeout=10)


