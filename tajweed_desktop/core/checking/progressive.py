"""One recording analysed in chunks, so a caller can show progress and stop early (no Qt).

It builds the same inputs and verdicts as `Ensemble.analyse` (the recipe clip, then the 4 s
windows of the timeline), but runs them a few at a time and yields after each chunk."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from tajweed_desktop.core.audio.clips import model_clip, sliding_windows
from tajweed_desktop.core.audio.formats import CLIP_SAMPLES
from tajweed_desktop.core.audio.recording import Recording
from tajweed_desktop.core.model.ensemble import Analysis, Ensemble, TimelinePoint

CHUNK = 8  # inputs per step: about a second of work on two cores, so Cancel answers quickly


@dataclass(frozen=True)
class Judged:
    analysis: Analysis
    clip_start: float  # the span (seconds into the recording) the headline verdict judged
    clip_end: float


def analyse_steps(
    ensemble: Ensemble, recording: Recording, timeline: bool = False, hop_seconds: float = 1.0,
    chunk: int = CHUNK,
) -> Generator[tuple[int, int], None, Judged]:
    """Yields (inputs done, inputs in all) after each chunk; returns the Judged analysis."""
    clip, start, end = model_clip(recording)
    inputs = [clip]
    active = [recording.active_seconds(start, end)]
    spans: list[tuple[float, float]] = []
    if timeline and recording.samples.shape[-1] > CLIP_SAMPLES:
        for w in sliding_windows(recording, hop_seconds):
            inputs.append(w.samples)
            active.append(recording.active_seconds(w.start, w.end))
            spans.append((w.start, w.end))
    total = len(inputs)
    yield 0, total
    parts = []
    for i in range(0, total, chunk):
        parts.append(ensemble.fold_probabilities(np.stack(inputs[i : i + chunk])))
        yield min(i + chunk, total), total
    probs = np.concatenate(parts, axis=1)
    points = tuple(TimelinePoint(s, e, ensemble.prediction(probs[:, 1 + j], active[1 + j]))
                   for j, (s, e) in enumerate(spans))
    analysis = Analysis(recording.path, recording.duration, ensemble.prediction(probs[:, 0], active[0]), points)
    return Judged(analysis, start, end)
