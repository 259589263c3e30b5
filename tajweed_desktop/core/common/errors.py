"""Typed errors for user mistakes: each names the file and says what is wrong, in one line."""

from __future__ import annotations

from pathlib import Path


class TajweedError(Exception):
    """Base of every error the app, the checker and the trainer show to a user as a message."""


class AudioError(TajweedError):
    """A recording that cannot be analysed. `reason` is a short phrase a user understands."""

    reason = "cannot be analysed"

    def __init__(self, path: str | Path | None, detail: str | None = None):
        self.path = None if path is None else Path(path)
        self.detail = detail
        where = str(self.path) if self.path is not None else "audio"
        text = f"{where}: {self.reason}"
        if detail:
            text += f" ({detail})"
        super().__init__(text)


class UnreadableAudioError(AudioError):
    reason = "not a readable audio file"


class EmptyAudioError(AudioError):
    reason = "the file holds no audio samples"


class NoSoundError(AudioError):
    reason = "no sound: the recording is silent"


class NoSpeechError(AudioError):
    """Sound, but no voice in it (a tone, noise, hum, music): no rule verdict is given."""

    reason = "no recitation heard"


class NotRegularFileError(AudioError):
    """A named pipe, socket or device: never opened, as reading one can wait forever."""

    reason = "skipped: not a regular file"


class TooShortError(AudioError):
    reason = "too short for the model"


class TooLongError(AudioError):
    reason = "too long to load at once"


class BundleError(TajweedError):
    """A model bundle that is missing, incomplete, tampered with or of an unknown format."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"model bundle {self.path}: {problem}")
