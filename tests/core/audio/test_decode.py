from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from tajweed_desktop.core.audio.decode import decode, resample, resample_stream
from tajweed_desktop.core.common.errors import TooLongError, UnreadableAudioError
from tests.conftest import REPO, need_data


# libsndfile's header over-reports these verse MP3s' length (husary/001007.mp3: 671,773 frames
# claimed, 658,944 decoded); a reader that trusts it repeats the block before the end
OVER_REPORTED_MP3S = ["husary/001007.mp3", "husary/001001.mp3", "husary/082003.mp3", "abdul_basit/001002.mp3"]


@pytest.mark.parametrize("name", OVER_REPORTED_MP3S)
def test_a_verse_mp3_decodes_to_its_real_length_without_repeated_audio(name):
    path = need_data("reciters5", "verses", name)
    reference, rate = sf.read(path, dtype="float32", always_2d=True)  # a second decoder: one whole read
    samples, got_rate, _ = decode(path, to_rate=None)
    assert got_rate == rate
    assert abs(len(samples) - len(reference)) <= 0.005 * rate, (len(samples), len(reference), sf.info(path).frames)
    np.testing.assert_allclose(samples, reference.mean(axis=1), atol=1e-6)


def test_resampling_while_reading_equals_resampling_the_whole_signal():
    path = need_data("reciters5", "verses", "husary", "001007.mp3")  # 44.1 kHz stereo
    whole, rate, _ = decode(path, to_rate=None)
    streamed, rate2, _ = decode(path)
    assert rate2 == rate == 44100
    np.testing.assert_array_equal(streamed, resample(whole, rate))


def test_a_microphone_at_48_khz_resampled_block_by_block_equals_the_whole_signal_resampled():
    """The app's live mode resamples each 30 ms drain of a 48 kHz microphone as it arrives."""
    x = np.random.default_rng(0).standard_normal(48_000 * 2).astype(np.float32) * 0.1
    stream = resample_stream(48_000)
    blocks = [stream.resample_chunk(x[i : i + 1440]) for i in range(0, len(x), 1440)]
    blocks.append(stream.resample_chunk(np.zeros(0, np.float32), last=True))
    joined = np.concatenate(blocks)
    assert len(joined) == 32_000
    np.testing.assert_array_equal(joined, resample(x, 48_000))


def test_a_long_high_rate_file_is_read_without_holding_it_at_its_rate(tmp_path):
    """Issue 18: a 19-minute 192 kHz FLAC took 1.75-2.0 GB in the checker before it was refused.
    Read in a child process so its peak resident memory is its own."""
    path = tmp_path / "long.flac"
    seconds = 19 * 60
    with sf.SoundFile(path, "w", 192_000, 1, format="FLAC", subtype="PCM_16") as f:
        block = (0.1 * np.sin(2 * np.pi * 220 * np.arange(192_000 * 10) / 192_000)).astype(np.float32)
        for _ in range(seconds // 10):
            f.write(block)
    # VmHWM, not ru_maxrss: the latter survives exec and would report the forking pytest's peak
    code = ("import re, sys\n"
            "from tajweed_desktop.core.audio.decode import decode\n"
            "x, rate, _ = decode(sys.argv[1])\n"
            "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
            "print(len(x), rate, int(hwm) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    n, rate, peak_mb = out.stdout.split()
    assert int(rate) == 192_000 and int(n) == pytest.approx(seconds * 16_000, abs=16)
    # 73 MB of 16 kHz output and one block; the whole signal at 192 kHz alone would be 875 MB
    assert float(peak_mb) < 400, peak_mb


@pytest.mark.parametrize("rate,channels,words", [(768_000, 1, "1 channels at 768000 Hz is not a recording")])
def test_impossible_layouts_are_refused_by_the_header(tmp_path, rate, channels, words):
    path = tmp_path / "odd.wav"
    sf.write(path, np.zeros((rate // 10, channels), np.float32), rate)
    with pytest.raises(UnreadableAudioError, match=words):
        decode(path)


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import tajweed_desktop.core.audio.decode as decode_mod

    path = tmp_path / "big.wav"
    sf.write(path, np.zeros(16_000, np.float32), 16_000)
    monkeypatch.setattr(decode_mod, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(decode_mod.sf, "SoundFile", None)  # opening it would fail the test differently
    with pytest.raises(TooLongError, match="the limit is"):
        decode_mod.decode(path)
