"""A bundle's model card (`model.json`) as one typed, validated value.

A card may come from a stranger (a shared bundle folder), so everything the program decides on is
typed and range-checked when it is read: a temperature above 0 and finite, thresholds in [0, 1],
labels a short list of distinct names, fold files bare names, a bounded number of distinct folds.
A wrong card is refused with one line naming the field, never a traceback and never a NaN in a
verdict. The descriptive sections (cross-validation, training data, level normalisation, the
architecture's layers) stay free-form dicts: they are shown and recorded, and the parts code relies
on are checked where they are used (`bundle._check_preparation`, `architectures.state_shapes`).

msgspec does the typing and the checks (a small C extension, 0.7 MB, no dependencies), chosen over
pydantic (about 7 MB with pydantic-core) because the desktop folder has 11 MB to spare.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

CARD_NAME = "model.json"
MAX_CARD_BYTES = 4 << 20  # a real card is about 30 KB (its clip hashes); refuse megabytes of JSON unread
MAX_FOLDS = 20
MAX_LABELS = 64
READABLE_VERSIONS = (1, 2)
DEFAULT_UNCERTAINTY = {"min_confidence": 0.5, "min_agreement": 0.6, "min_active_seconds": 0.3}

Sha256 = Annotated[str, Meta(pattern="^[0-9a-f]{64}$")]
Fraction = Annotated[float, Meta(ge=0.0, le=1.0)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]


class CardError(ValueError):
    """A card that is not a valid model card: the message names the field."""


class FoldFile(Struct, frozen=True):
    fold: Annotated[int, Meta(ge=1, le=MAX_FOLDS)]
    file: Name
    sha256: Sha256


class OnnxFile(Struct, frozen=True):
    file: Name
    sha256: Sha256
    opset: Annotated[int, Meta(ge=1, le=100)] = 17
    input: str = ""
    output: str = ""


class Calibration(Struct, frozen=True):
    # logits are divided by it: 0 gives NaN, a negative value turns the ranking upside down
    temperature: Annotated[float, Meta(gt=0.0, le=100.0)] = 1.0
    ece_before: Fraction | None = None
    ece_after: Fraction | None = None
    ece_after_measured_on: str | None = None
    fitted_on: str | None = None
    # what the five-fold mean that ships scored at this temperature on voices it never heard, and
    # what the temperature and threshold were fitted on (structured records: trainer/calibration.py)
    measured: dict[str, Any] | None = None
    fitted: dict[str, Any] | None = None


class Uncertainty(Struct, frozen=True):
    min_confidence: Fraction = DEFAULT_UNCERTAINTY["min_confidence"]
    min_agreement: Fraction = DEFAULT_UNCERTAINTY["min_agreement"]
    min_active_seconds: Annotated[float, Meta(ge=0.0, le=60.0)] = DEFAULT_UNCERTAINTY["min_active_seconds"]
    min_confidence_source: str | None = None


class FrontEnd(Struct, frozen=True):
    name: Name
    weights_sha256: Sha256
    pad_seconds: Annotated[float, Meta(gt=0.0, le=30.0)]
    frames: Annotated[int, Meta(ge=1, le=1500)]
    dim: Annotated[int, Meta(ge=1, le=4096)] = 512
    runtime: str = "ctranslate2"
    packages: dict[str, str] = {}
    compute_type: str = "int8"
    input: str = ""


class ModelCard(Struct, frozen=True, kw_only=True):
    format_version: Literal[1, 2]
    name: Name
    labels: Annotated[list[Name], Meta(min_length=2, max_length=MAX_LABELS)]
    sample_rate: Annotated[int, Meta(ge=1)]
    clip_seconds: Annotated[float, Meta(gt=0.0, le=60.0)]
    folds: Annotated[list[FoldFile], Meta(min_length=1, max_length=MAX_FOLDS)]
    normalisation: dict[str, Any] | None = None
    architecture: dict[str, Any] | None = None
    cross_validation: dict[str, Any] = {}
    training_data: dict[str, Any] = {}
    calibration: Calibration = Calibration()
    uncertainty: Uncertainty = Uncertainty()
    front_end: FrontEnd | None = None
    heads_onnx: OnnxFile | None = None

    def __post_init__(self) -> None:
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("labels must be distinct names - at `$.labels`")
        if not math.isfinite(self.calibration.temperature):
            raise ValueError("Expected a finite temperature - at `$.calibration.temperature`")
        files = [f.file for f in self.folds]
        if len(set(files)) != len(files) or len({f.fold for f in self.folds}) != len(files):
            raise ValueError("each fold must name its own file - at `$.folds`")
        for entry, suffix in [*((f, ".safetensors") for f in self.folds), (self.heads_onnx, ".onnx")]:
            if entry is not None and (entry.file != entry.file.split("/")[-1] or "\\" in entry.file
                                      or entry.file.startswith(".") or not entry.file.endswith(suffix)):
                raise ValueError(f"{entry.file!r} is not a {suffix[1:]} file inside the bundle - at `$.folds`")

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON-ready builtins (unset optional fields left out)."""
        return _without_none(msgspec.to_builtins(self))


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return [_without_none(v) for v in value] if isinstance(value, list) else value


def parse_card(data: bytes) -> ModelCard:
    """Decode and check a card's JSON; raises CardError with one line naming the field."""
    if len(data) > MAX_CARD_BYTES:
        raise CardError(f"{CARD_NAME} is {len(data) / 2**20:.0f} MB; a model card is a few KB")
    try:
        raw = msgspec.json.decode(data)
    except RecursionError:
        raise CardError(f"{CARD_NAME} is nested too deeply to be a model card") from None
    except msgspec.DecodeError as exc:
        raise CardError(f"{CARD_NAME} is not valid JSON ({exc})") from None
    return card_from_dict(raw)


def card_from_dict(raw: Any) -> ModelCard:
    if not isinstance(raw, dict):
        raise CardError(f"{CARD_NAME} is not a JSON object")
    if raw.get("format_version") not in READABLE_VERSIONS:
        raise CardError(f"unknown format version {raw.get('format_version')!r} "
                        f"(this app reads {', '.join(map(str, READABLE_VERSIONS))})")
    try:
        return msgspec.convert(raw, ModelCard)
    except RecursionError:
        raise CardError(f"{CARD_NAME} is nested too deeply to be a model card") from None
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        raise CardError(_one_line(exc)) from None


def check_calibration(raw: Any) -> Calibration:
    """A card's `calibration` record, typed and range-checked on its own (the trainer adds to it)."""
    try:
        return msgspec.convert(raw, Calibration)
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        raise CardError(_one_line(exc).replace("field ", "field calibration.", 1)) from None


def _one_line(exc: Exception) -> str:
    """msgspec's 'Expected `float` > 0.0, got `-1.65` - at `$.calibration.temperature`' as
    'calibration.temperature: Expected `float` > 0.0, got `-1.65`'."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    message, _, where = text.rpartition(" - at `")
    if not message:
        return f"{CARD_NAME}: {text}"
    field = where.rstrip("`").removeprefix("$").lstrip(".") or "the card"
    return f"{CARD_NAME} field {field}: {message}"
