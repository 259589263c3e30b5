"""A stranger's model card: every field the program decides on is typed and range-checked on
load, and a wrong one is refused with one line naming the field (issue 18, item 5)."""

from __future__ import annotations

import json
import math

import pytest

from tajweed_desktop.cli import main as check
from tajweed_desktop.core.common.errors import BundleError
from tajweed_desktop.core.model.bundle import MAX_WEIGHTS_BYTES, load_bundle, new_card, save_bundle
from tajweed_desktop.core.model.card import MAX_CARD_BYTES, MAX_FOLDS, CardError, parse_card
from tests.conftest import LABELS4, need_data


def _card(tiny_bundle):
    return json.loads((tiny_bundle / "model.json").read_text())


def _write(tiny_bundle, card):
    (tiny_bundle / "model.json").write_text(json.dumps(card))


def _fold(card, k):
    return {**card["folds"][0], "fold": k}


STRANGE_CARDS = [
    ("temperature 0 (a NaN verdict)", lambda c: c["calibration"].update(temperature=0), "calibration.temperature"),
    ("a negative temperature (the ranking reversed)", lambda c: c["calibration"].update(temperature=-1.65), "calibration.temperature"),
    ("an enormous temperature", lambda c: c["calibration"].update(temperature=1e300), "calibration.temperature"),
    ("a temperature as text", lambda c: c["calibration"].update(temperature="1.65"), "calibration.temperature"),
    ("calibration not an object", lambda c: c.update(calibration=[1.65]), "calibration"),
    ("a threshold above 1", lambda c: c["uncertainty"].update(min_confidence=1.5), "uncertainty.min_confidence"),
    ("a negative agreement", lambda c: c["uncertainty"].update(min_agreement=-0.1), "uncertainty.min_agreement"),
    ("labels as text", lambda c: c.update(labels="Idgham,Ikhfa"), "labels"),
    ("a label that is a number", lambda c: c.update(labels=["Idgham", 3, "Iqlab", "Izhar"]), "labels"),
    ("the same label twice", lambda c: c.update(labels=["Idgham", "Idgham", "Iqlab", "Izhar"]), "labels must be distinct"),
    ("no folds", lambda c: c.update(folds=[]), "folds"),
    ("one file for two folds", lambda c: c["folds"].append(_fold(c, 6)), "each fold must name its own file"),
    ("more folds than any bundle has", lambda c: c.update(folds=[_fold(c, k) for k in range(1, MAX_FOLDS + 2)]), "folds"),
    ("a fold file outside the bundle", lambda c: c["folds"][0].update(file="../../etc/passwd.safetensors"), "not a safetensors file inside the bundle"),
    ("a fold file of another kind", lambda c: c["folds"][0].update(file="fold1.pt"), "not a safetensors file inside the bundle"),
    ("a sha256 that is not one", lambda c: c["folds"][0].update(sha256="abc"), "folds[0].sha256"),
    ("a fold entry as a string", lambda c: c.update(folds=["fold1.safetensors"]), "folds[0]"),
    ("a front end as a string", lambda c: c.update(front_end="whisper"), "front_end"),
    ("an architecture as a list", lambda c: c.update(architecture=["CNN1D"]), "architecture"),
    ("an architecture this version does not build", lambda c: c.update(architecture={"name": 5}), "unknown architecture 5"),
    ("a sample rate as text", lambda c: c.update(sample_rate="16000"), "sample_rate"),
]


@pytest.mark.parametrize("what,change,field", STRANGE_CARDS, ids=[w for w, _, _ in STRANGE_CARDS])
def test_a_strangers_card_is_refused_with_one_line_naming_the_field(tiny_bundle, what, change, field):
    card = _card(tiny_bundle)
    change(card)
    _write(tiny_bundle, card)
    with pytest.raises(BundleError) as info:
        load_bundle(tiny_bundle)
    message = str(info.value)
    assert field in message and str(tiny_bundle) in message and "\n" not in message, message


def test_an_infinite_temperature_is_refused(tiny_bundle):
    card = _card(tiny_bundle)
    card["calibration"]["temperature"] = 7.25
    text = json.dumps(card)
    assert text.count("7.25") == 1
    (tiny_bundle / "model.json").write_text(text.replace("7.25", "1e999"))  # JSON's way to an infinity
    with pytest.raises(BundleError, match="model.json is not valid JSON .Number out of range"):
        load_bundle(tiny_bundle)


def test_deeply_nested_json_is_refused_not_a_recursion_error(tiny_bundle):
    (tiny_bundle / "model.json").write_text('{"format_version": 2, "x": ' + "[" * 200_000 + "]" * 200_000 + "}")
    with pytest.raises(BundleError, match="nested too deeply"):
        load_bundle(tiny_bundle)


def test_a_card_of_megabytes_is_refused_before_it_is_parsed(tiny_bundle):
    with pytest.raises(CardError, match="a model card is a few KB"):
        parse_card(b" " * (MAX_CARD_BYTES + 1))


def test_a_huge_weights_file_is_refused_by_its_size_before_hashing(tiny_bundle, monkeypatch):
    import tajweed_desktop.core.model.bundle as bundle_mod

    def no_hashing(path):
        raise AssertionError(f"{path} was hashed before its size was checked")

    with open(tiny_bundle / "fold2.safetensors", "r+b") as f:
        f.truncate(MAX_WEIGHTS_BYTES + 1)  # sparse: no disk used
    monkeypatch.setattr(bundle_mod, "sha256_of", lambda p: no_hashing(p) if p.name == "fold2.safetensors" else bundle_mod.sha256_of.__wrapped__(p)
                        if hasattr(bundle_mod.sha256_of, "__wrapped__") else __import__("hashlib").sha256(p.read_bytes()).hexdigest())
    with pytest.raises(BundleError, match="fold2.safetensors is 0.3 GB; fold weights are a few MB"):
        load_bundle(tiny_bundle)


def test_the_trainer_cannot_write_a_card_this_version_would_refuse(tmp_path, tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    card = new_card("bad", LABELS4, calibration={"temperature": -1.0})
    with pytest.raises(BundleError, match="calibration.temperature"):
        save_bundle(tmp_path / "bad", card, bundle.fold_states)
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("temperature", [0, -1.65, float("nan")])
def test_the_checker_exits_2_with_one_line_on_a_bad_temperature(tiny_bundle, capsys, temperature):
    card = _card(tiny_bundle)
    card["calibration"]["temperature"] = temperature
    (tiny_bundle / "model.json").write_text(json.dumps(card))  # json writes NaN as NaN, which no JSON reader should take
    clip = need_data("kaggle_samples", "train", "1.wav")
    assert check([str(clip), "--model", str(tiny_bundle)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "model.json" in err and "nan" not in err.lower().replace("not valid json", ""), err


def test_a_valid_card_round_trips(tiny_bundle):
    card = load_bundle(tiny_bundle).card
    assert card.labels == LABELS4 and card.calibration.temperature > 0 and math.isfinite(card.calibration.temperature)
    assert parse_card(json.dumps(card.to_dict()).encode()) == card
