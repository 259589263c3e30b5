from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from tajweed_desktop.core.audio.clips import fixed_clip, model_clip, sliding_windows
from tajweed_desktop.core.audio.decode import decode, resample
from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.audio.levels import (
    TARGET_RMS_DBFS,
    TRIM_MARGIN_SECONDS,
    frame_rms,
    speech_level,
)
from tajweed_desktop.core.audio.recording import (
    Recording,
    load_recording,
    recording_from_array,
)
from tajweed_desktop.core.common.errors import (
    EmptyAudioError,
    NoSoundError,
    NoSpeechError,
    TooLongError,
    TooShortError,
    UnreadableAudioError,
)
from tests.conftest import need_data, tone, voice

FORMATS = [
    ("wav", "WAV", "PCM_U8"),
    ("wav", "WAV", "PCM_16"),
    ("wav", "WAV", "PCM_24"),
    ("wav", "WAV", "PCM_32"),
    ("wav", "WAV", "FLOAT"),
    ("wav", "WAV", "DOUBLE"),
    ("flac", "FLAC", "PCM_16"),
    ("ogg", "OGG", "VORBIS"),
    ("opus", "OGG", "OPUS"),
    ("mp3", "MP3", "MPEG_LAYER_III"),
]


def dominant_frequency(x: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    spectrum = np.abs(np.fft.rfft(x))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[spectrum.argmax()])


def speech_rms_dbfs(rec: Recording) -> float:
    """The level the front end sets: speech frames' RMS (capped, see speech_level)."""
    return 20 * math.log10(speech_level(frame_rms(rec.samples), rec.voiced))


def level_dbfs(x: np.ndarray, voiced: np.ndarray) -> float:
    return 20 * math.log10(speech_level(frame_rms(x), voiced))


@pytest.mark.parametrize("ext,fmt,subtype", FORMATS)
@pytest.mark.parametrize("rate,channels", [(8000, 1), (44100, 2), (48000, 6)])
def test_every_format_and_layout_decodes_to_normalised_16k_mono(tmp_path, ext, fmt, subtype, rate, channels):
    if fmt == "OGG" and subtype == "OPUS" and rate == 44100:
        rate = 48000  # Opus supports only 8/12/16/24/48 kHz
    if fmt == "MP3":
        channels = min(channels, 2)  # MPEG audio holds at most two channels
    path = tmp_path / f"tone.{ext}"
    sf.write(path, tone(440, 1.5, rate, 0.3, channels), rate, format=fmt, subtype=subtype)
    samples, got_rate, got_channels = decode(path)  # the decoder itself, on a known tone
    assert (got_rate, got_channels) == (rate, channels)
    assert dominant_frequency(samples) == pytest.approx(440, abs=3)  # resampled to 16 kHz while read
    assert dominant_frequency(resample(decode(path, to_rate=None)[0], rate)) == pytest.approx(440, abs=3)
    path = tmp_path / f"voice.{ext}"
    sf.write(path, voice(1.5, rate, 0.3, channels), rate, format=fmt, subtype=subtype)
    rec = load_recording(path)  # the whole preparation, on a voice
    assert rec.sample_rate == 16000 and rec.samples.ndim == 1 and rec.samples.dtype == np.float32
    assert rec.original_rate == rate and rec.channels == channels
    assert rec.duration == pytest.approx(1.5, abs=0.08)  # lossy codecs add a little priming
    assert speech_rms_dbfs(rec) == pytest.approx(TARGET_RMS_DBFS, abs=0.5)


def test_channels_are_averaged(tmp_path):
    x = np.zeros((16000, 2), np.float32)
    x[:, 0] = tone(300, 1.0, amp=0.4)
    sf.write(tmp_path / "left.wav", x, 16000, subtype="FLOAT")
    samples, rate, channels = decode(tmp_path / "left.wav")
    assert channels == 2 and rate == 16000
    assert np.abs(samples).max() == pytest.approx(0.2, abs=1e-4)


def test_quiet_and_loud_recordings_look_alike_to_the_model(tmp_path):
    base = voice(2.0, amp=1.0)
    sf.write(tmp_path / "quiet.wav", base * 0.01, 16000, subtype="PCM_16")  # -40 dB, a distant phone
    sf.write(tmp_path / "loud.wav", base * 0.9, 16000, subtype="PCM_16")
    quiet, loud = load_recording(tmp_path / "quiet.wav"), load_recording(tmp_path / "loud.wav")
    assert quiet.gain_db - loud.gain_db == pytest.approx(39.1, abs=0.5)
    assert np.array_equal(quiet.voiced, loud.voiced) and np.array_equal(quiet.active, loud.active)
    assert np.allclose(quiet.samples, loud.samples, atol=2e-3)


def test_pauses_do_not_dilute_the_level():
    speech = voice(1.0, amp=0.3)
    padded = np.concatenate([np.zeros(48000, np.float32), speech, np.zeros(48000, np.float32)])
    a, b = recording_from_array(speech, 16000), recording_from_array(padded, 16000)
    assert a.gain_db == pytest.approx(b.gain_db, abs=0.1)
    assert b.active_seconds() == pytest.approx(1.0, abs=0.05)


def test_fixed_clip_centre_crops_and_pads_at_the_end():
    long = np.arange(70000, dtype=np.float32)
    clip = fixed_clip(long)
    assert clip.shape == (64000,) and clip[0] == 3000 and clip[-1] == 66999
    short = np.ones(1000, np.float32)
    clip = fixed_clip(short)
    assert clip.shape == (64000,) and (clip[:1000] == 1).all() and (clip[1000:] == 0).all()


def proportional(a: np.ndarray, b: np.ndarray, atol: float = 1e-5) -> bool:
    """a is b times one positive gain (the window's own level)."""
    g = float(np.dot(a, b) / np.dot(b, b))
    return g > 0 and np.allclose(a, g * b, atol=atol)


def gain_between_db(a: np.ndarray, b: np.ndarray) -> float:
    """The gain (dB) that takes b to a (least squares)."""
    return 20 * math.log10(float(np.dot(a, b) / np.dot(b, b)))


def test_sliding_windows_cover_the_recording_with_times():
    rec = recording_from_array(voice(9.5), 16000)
    windows = sliding_windows(rec, hop_seconds=2.0)
    assert [(w.start, w.end) for w in windows] == [(0, 4), (2, 6), (4, 8), (5.5, 9.5)]
    assert all(w.samples.shape == (64000,) for w in windows)
    assert proportional(windows[1].samples, rec.samples[32000:96000])
    short = sliding_windows(recording_from_array(voice(2.5), 16000))
    assert [(w.start, w.end) for w in short] == [(0, 2.5)] and short[0].samples.shape == (64000,)


def test_each_window_is_levelled_like_a_training_clip():
    """A louder passage later in a recording does not push the earlier windows down: each window
    is brought to the target over its own speech frames, as each training clip is."""
    x = np.concatenate([voice(4.0, amp=0.02), voice(4.0, amp=0.9)])  # 33 dB louder after 4 s
    rec = recording_from_array(x, 16000)
    first, *_, last = sliding_windows(rec, hop_seconds=1.0)
    assert (first.start, last.end) == (0, 8)
    for w in (first, last):
        a = int(w.start * 16000) // 320
        voiced = rec.voiced[a : a + 200]
        assert level_dbfs(w.samples, voiced) == pytest.approx(TARGET_RMS_DBFS, abs=0.5)
    # the same passage alone, as training would see it, reaches the model the same way
    alone = model_clip(recording_from_array(voice(4.0, amp=0.02), 16000))[0]
    assert gain_between_db(first.samples[:48000], alone[:48000]) == pytest.approx(0, abs=0.1)


@pytest.mark.parametrize(
    "make,error,words",
    [
        (lambda p: p.write_bytes(b""), UnreadableAudioError, "not a readable audio file"),
        (lambda p: p.write_bytes(np.random.default_rng(0).bytes(4000)), UnreadableAudioError, "Format not recognised"),
        (lambda p: p.mkdir(), UnreadableAudioError, "it is a folder"),
        (lambda p: None, UnreadableAudioError, "file not found"),
        (lambda p: sf.write(p, np.zeros(16000, np.float32), 16000), NoSoundError, "digital silence"),
        (lambda p: sf.write(p, tone(300, 1.0, amp=1e-4), 16000), NoSoundError, "dBFS"),
        (lambda p: sf.write(p, tone(300, 0.01), 16000), TooShortError, "10 ms"),
        (lambda p: sf.write(p, np.zeros(0, np.float32), 16000), EmptyAudioError, "no audio samples"),
        (lambda p: sf.write(p, np.full(16000, 0.5, np.float32), 16000), NoSoundError, "digital silence"),  # DC only
        (lambda p: sf.write(p, np.full(16000, np.nan, np.float32), 16000, subtype="FLOAT"), UnreadableAudioError, "NaN"),
    ],
    ids=["zero-bytes", "random-bytes", "folder", "missing", "silence", "near-silence", "10ms", "empty", "dc-only", "nan"],
)
def test_bad_input_gets_a_typed_error_naming_the_file(tmp_path, make, error, words):
    path = tmp_path / "bad input.wav"
    make(path)
    with pytest.raises(error) as info:
        load_recording(path)
    assert str(path) in str(info.value) and words in str(info.value)
    assert "\n" not in str(info.value)


def test_too_long_is_refused_before_decoding(tmp_path):
    sf.write(tmp_path / "long.wav", tone(300, 3.0), 16000)
    with pytest.raises(TooLongError, match="too long to load at once"):
        load_recording(tmp_path / "long.wav", max_seconds=2.0)


def test_real_clips_of_every_shipped_layout():
    for path in [
        need_data("tajweed4", "train", "1.wav"),
        need_data("kaggle_samples", "train", "10.wav"),
        need_data("rules14", "ikhfa", "tes 1.opus"),
    ]:
        rec = load_recording(path)
        assert rec.duration > 1 and np.isfinite(rec.samples).all()
        assert speech_rms_dbfs(rec) == pytest.approx(TARGET_RMS_DBFS, abs=0.5)
    # the Kaggle copy of clip 3 holds only about 0.2 s of sound in its 4 s: too little to hear a voice
    with pytest.raises(NoSpeechError, match="no recitation heard"):
        load_recording(need_data("kaggle_samples", "train", "3.wav"))


def test_leading_and_trailing_silence_is_trimmed_before_the_clip():
    speech = voice(1.0, amp=0.3)
    tight = recording_from_array(speech, 16000)
    padded = recording_from_array(np.concatenate([np.zeros(16000, np.float32), speech, np.zeros(8000, np.float32)]), 16000)
    start, end = padded.speech_bounds()
    assert start == 16000 - int(TRIM_MARGIN_SECONDS * 16000) and end == 32000 + int(TRIM_MARGIN_SECONDS * 16000)
    clip_tight, _, _ = model_clip(tight)
    clip_padded, s, e = model_clip(padded)
    margin = int(TRIM_MARGIN_SECONDS * 16000)
    # the same samples at the same level, but for the first and last 0.1 s, where the DC high-pass
    # settles differently with silence around it than at the very edge of a recording
    edge = 1600
    a, b = clip_padded[margin + edge : margin + 16000 - edge], clip_tight[edge : 16000 - edge]
    assert proportional(a, b, atol=5e-4) and gain_between_db(a, b) == pytest.approx(0, abs=0.1)
    assert (s, e) == pytest.approx((1.0 - TRIM_MARGIN_SECONDS, 2.0 + TRIM_MARGIN_SECONDS))


def test_model_clip_of_a_long_recording_is_the_centre_of_its_speech():
    rec = recording_from_array(voice(6.0), 16000)
    clip, s, e = model_clip(rec)
    assert clip.shape == (64000,) and (s, e) == pytest.approx((1.0, 5.0))
    assert np.array_equal(clip, rec.samples[16000:80000])


def test_each_window_is_trimmed_like_a_whole_recording():
    x = np.concatenate([np.zeros(32000, np.float32), voice(6.0)])
    rec = recording_from_array(x, 16000)
    first = sliding_windows(rec, hop_seconds=2.0)[0]  # 0-4 s: 2 s of silence, then sound
    margin = int(TRIM_MARGIN_SECONDS * 16000)
    assert (first.start, first.end) == (0, 4)
    assert proportional(first.samples[: 32000 + margin], rec.samples[32000 - margin : 64000])
    assert (first.samples[32000 + margin :] == 0).all()

