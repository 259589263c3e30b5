"""The level of a recording: DC removal, the speech frames' level, clicks muted, active sound.

Level: the RMS of the *speech* frames (20 ms frames the VAD marks as speech), each frame's RMS
capped at the 90th percentile of those frames (frames 30 dB below it left out), is brought to
-20 dBFS. A click or a knock is not
speech, and even one inside the speech is capped, so it cannot steer the level; pauses do not
dilute it either. A 20 ms frame more than 12 dB above that 90th percentile is muted as a click
(over 446 real clips no frame of recitation was more than 8.6 dB above it). Active sound (for the trim and the "too little sound" check) is sound within
20 dB of that speech level that belongs to the speech: runs of such frames, pauses shorter than
0.3 s bridged, that hold speech frames. A click a pause
away from the recitation is therefore neither level nor trim. Each timeline window gets the same
level rule over its own speech frames, as a training clip does.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tajweed_desktop.core.audio import speech as vad
from tajweed_desktop.core.audio.formats import SAMPLE_RATE
from tajweed_desktop.core.audio.highpass import zero_phase_highpass
from tajweed_desktop.core.common.errors import NoSoundError, NoSpeechError

TARGET_RMS_DBFS = -20.0
LEVEL_PERCENTILE = 90.0  # speech frames' RMS is capped at this percentile of them before averaging
LEVEL_RANGE_DB = 30.0  # ... and speech frames more than this below that percentile are left out
DC_HIGHPASS_HZ = 20.0
CLICK_DB = 12.0  # a 20 ms frame this far above that percentile is a click, not a syllable: muted
GATE_DB = 20.0  # sound within this many dB below the speech level counts as active
JOIN_GAP_SECONDS = 0.3  # active sound separated from speech by a shorter pause belongs to it
NO_SOUND_PEAK_DBFS = -60.0
FRAME_SECONDS = 0.02
TRIM_MARGIN_SECONDS = 0.15  # kept either side of the sound so soft onsets and endings survive

# Written into every bundle's model card: what a model trained with this code expects.
NORMALISATION = {
    "method": "vad_speech_rms",
    "dc_removal": f"mean subtracted, then a zero-phase 2nd-order Butterworth high-pass at {DC_HIGHPASS_HZ:g} Hz",
    "voice_activity": f"{vad.SILERO_DIST} {vad.SILERO_VERSION} {Path(vad.SILERO_FILE).name} "
                      f"sha256 {vad.SILERO_SHA256[:16]}, frames with speech probability >= {vad.FRAME_THRESHOLD}",
    "min_speech_seconds": vad.MIN_SPEECH_SECONDS,
    "target_rms_dbfs": TARGET_RMS_DBFS,
    "level_frames": "speech frames, each frame's RMS capped at a percentile of them",
    "level_percentile_cap": LEVEL_PERCENTILE,
    "level_range_db_below_cap": LEVEL_RANGE_DB,
    "click_db_above_cap_muted": CLICK_DB,
    "gate_db_below_speech_level": GATE_DB,
    "join_gap_seconds": JOIN_GAP_SECONDS,
    "frame_seconds": FRAME_SECONDS,
    "no_sound_peak_dbfs": NO_SOUND_PEAK_DBFS,
    "trim_silence_margin_seconds": TRIM_MARGIN_SECONDS,
    "timeline_windows": "each window levelled over its own speech frames",
}
# the level methods whose bundles this version serves (checked on load: core/model/bundle.py)
# `gated_rms` (the level of frames within 20 dB of the loudest, an energy-gate trim) is served
# with this preparation: the raw-waveform bundles kept for comparison were trained with it, and
# their verdicts on the real data agree with those under their own preparation (README).
COMPATIBLE_NORMALISATIONS = frozenset({NORMALISATION["method"], "gated_rms"})


def db_to_amp(db: float) -> float:
    return 10.0 ** (db / 20.0)



def frame_rms(samples: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """RMS per FRAME_SECONDS frame (the last partial frame included)."""
    n = max(1, int(rate * FRAME_SECONDS))
    x = np.asarray(samples, np.float64)
    pad = (-len(x)) % n
    if pad:
        x = np.concatenate([x, np.zeros(pad)])
    return np.sqrt(np.mean(x.reshape(-1, n) ** 2, axis=1))


def remove_dc(samples: np.ndarray) -> np.ndarray:
    """Subtract the mean, then a zero-phase high-pass at DC_HIGHPASS_HZ for what the mean misses
    (an offset that drifts); a voice (70 Hz and up) passes unchanged."""
    if samples.size == 0:
        return samples
    x = samples.astype(np.float64)
    x -= x.mean()
    if x.size > 3 * 3 * 2:  # the filter's edge padding needs some length
        x = zero_phase_highpass(x, DC_HIGHPASS_HZ, SAMPLE_RATE)
    return x.astype(np.float32)


def _speech_levels(rms: np.ndarray, speech: np.ndarray) -> tuple[float, float]:
    """(level, cap): see `speech_level`; cap is the LEVEL_PERCENTILE of the speech frames' RMS."""
    r = np.asarray(rms, np.float64)[np.asarray(speech, bool)]
    if r.size == 0:
        return 0.0, 0.0
    top = float(np.percentile(r, LEVEL_PERCENTILE))
    r = np.minimum(r[r >= top * db_to_amp(-LEVEL_RANGE_DB)], top)
    return (float(np.sqrt(np.mean(r**2))) if r.size else 0.0), top


def speech_level(rms: np.ndarray, speech: np.ndarray) -> float:
    """The level (linear RMS) of the speech frames: each frame's RMS capped at LEVEL_PERCENTILE of
    them, so a click or knock among them cannot raise it, and frames more than LEVEL_RANGE_DB below
    that left out, so the silence the VAD's 32 ms frames take in around a word cannot lower it
    (0.0 when no frame is speech or all are silent)."""
    return _speech_levels(rms, speech)[0]


def active_frames(rms: np.ndarray, speech: np.ndarray, level: float) -> np.ndarray:
    """Frames of sound that belong to the speech: frames within GATE_DB of `level`, in runs of
    them (pauses shorter than JOIN_GAP_SECONDS bridged) that hold a speech frame. (The VAD's own
    frames are 32 ms and run a little into the silence around a word; the sound does not.)"""
    speech = np.asarray(speech, bool)
    loud = np.asarray(rms) >= level * db_to_amp(-GATE_DB)
    joined = loud.copy()
    gap = int(round(JOIN_GAP_SECONDS / FRAME_SECONDS))
    spans = vad.runs(loud)
    for (_, b), (a2, _) in zip(spans, spans[1:]):
        if a2 - b < gap:
            joined[b:a2] = True
    out = np.zeros_like(loud)
    for a, b in vad.runs(joined):
        if speech[a:b].any():
            out[a:b] |= loud[a:b]
    return out


def normalise(samples: np.ndarray, path: Path | None = None) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Remove DC, find the speech, mute clicks, scale the speech level to TARGET_RMS_DBFS.

    Returns (samples, gain in dB, active mask, speech mask), masks per FRAME_SECONDS frame.
    Raises NoSoundError for a silent recording, NoSpeechError when no voice is heard."""
    x = np.asarray(samples, np.float32)
    centred = x - x.mean(dtype=np.float64).astype(np.float32) if x.size else x
    peak = float(np.abs(centred).max()) if centred.size else 0.0
    if peak < db_to_amp(NO_SOUND_PEAK_DBFS):
        level = "digital silence" if peak == 0 else f"peak {20 * math.log10(peak):.0f} dBFS"
        raise NoSoundError(path, level)
    voiced, evidence = vad.speech_mask(centred, int(FRAME_SECONDS * SAMPLE_RATE))
    if evidence < vad.MIN_SPEECH_SECONDS:
        raise NoSpeechError(path, f"the voice detector found {evidence:.2f} s of speech; "
                                  f"at least {vad.MIN_SPEECH_SECONDS:.2f} s needed")
    rms = frame_rms(centred)
    _, cap = _speech_levels(rms, voiced)
    clicks = rms > cap * db_to_amp(CLICK_DB)
    if clicks.any():  # a click or knock far above any syllable: muted, so neither level nor trim
        hop = int(FRAME_SECONDS * SAMPLE_RATE)
        muted = np.repeat(clicks, hop)[: x.size]
        x = np.where(muted, np.float32(x[~muted].mean()), x)  # its DC too, not a hole
    samples = remove_dc(np.ascontiguousarray(x))  # after the muting: a DC pulse moves neither the mean nor the filter
    rms = frame_rms(samples)
    level, _ = _speech_levels(rms, voiced)
    if level <= 0:  # speech frames of digital silence: the VAD heard a voice in zeros
        raise NoSpeechError(path, "the speech frames hold no sound")
    gain = db_to_amp(TARGET_RMS_DBFS) / level
    return samples * np.float32(gain), 20 * math.log10(gain), active_frames(rms, voiced, level), voiced
