"""A voice-only baseline: what pitch and loudness alone tell about the rule.

If this scores close to the CNN, the CNN may be recognising the voice rather than the rule.
Features per clip: F0 statistics from Praat (parselmouth) over voiced frames, and loudness
statistics of the raw (un-normalised) recording. A standardised logistic regression is fitted
on the same folds as the CNN.
"""

from __future__ import annotations

import numpy as np
import parselmouth
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tajweed_desktop.core.audio.levels import frame_rms

from tajweed_desktop.core.audio.recording import Recording

FEATURES = [
    "f0_median", "f0_mean", "f0_std", "f0_p10", "f0_p90", "voiced_fraction",
    "level_db", "frame_db_mean", "frame_db_std",
]


def voice_features(rec: Recording) -> np.ndarray:
    x = rec.samples.astype(np.float64)
    pitch = parselmouth.Sound(x, sampling_frequency=rec.sample_rate).to_pitch(pitch_floor=60.0, pitch_ceiling=500.0)
    f0 = pitch.selected_array["frequency"]
    voiced = f0[f0 > 0]
    if voiced.size == 0:
        voiced = np.zeros(1)
    frame_db = 20 * np.log10(frame_rms(rec.samples)[rec.active] + 1e-9)
    return np.array([
        np.median(voiced), voiced.mean(), voiced.std(), np.percentile(voiced, 10), np.percentile(voiced, 90),
        (f0 > 0).mean(),
        -rec.gain_db,  # the recording's own speech level before normalisation
        frame_db.mean(), frame_db.std(),
    ])


def feature_matrix(recordings: list[Recording]) -> np.ndarray:
    return np.stack([voice_features(r) for r in recordings])


def fit_predict(features: np.ndarray, targets: np.ndarray, train_idx, val_idx, seed: int = 0) -> np.ndarray:
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed))
    model.fit(features[train_idx], targets[train_idx])
    return model.predict(features[val_idx])
