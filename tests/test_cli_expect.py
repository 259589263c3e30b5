"""tajweed-check with expected rules: one for every file (--expect) or per file from a CSV."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from tajweed_desktop.cli import main
from tests.conftest import LABELS4, need_data


@pytest.fixture
def samples(tmp_path):
    folder = tmp_path / "train"
    shutil.copytree(need_data("kaggle_samples", "train"), folder)
    return folder


def rows(path):
    return list(csv.reader(path.read_bytes().decode("utf-8-sig").splitlines()))


def test_expect_one_rule_counts_matches(samples, tiny_bundle, tmp_path, capsys):
    out = tmp_path / "r.csv"
    # exit 1: the Kaggle copy of 3.wav holds 0.2 s of sound, "no recitation heard"
    assert main([str(samples), "--model", str(tiny_bundle), "--device", "cpu", "--expect", "ikhfa", "--csv", str(out)]) == 1
    table = rows(out)
    assert table[0][-2:] == ["expected", "outcome"] and table[0][:4] == ["file", "predicted_rule", "confidence", "uncertain"]
    failed = [r for r in table[1:] if r[1] == ""]
    assert [r[0].rsplit("/", 1)[-1] for r in failed] == ["3.wav"]
    checked = [r for r in table[1:] if r[1] != ""]
    outcomes = [r[-1] for r in checked]
    assert {r[-2] for r in table[1:]} == {"Ikhfa"} and set(outcomes) <= {"match", "not yet", "uncertain"}
    for r in checked:  # the outcome follows from the row itself
        want = "uncertain" if r[3] == "yes" else "match" if r[1] == "Ikhfa" else "not yet"
        assert r[-1] == want
    err = capsys.readouterr().err
    assert f"expected rules: {outcomes.count('match')} of 4 as expected, {outcomes.count('not yet')} not yet" in err


def test_expect_per_file_from_the_kaggle_csv(samples, tiny_bundle, capsys):
    key = need_data("kaggle_samples", "train.csv")
    assert main([str(samples), "--model", str(tiny_bundle), "--device", "cpu", "--expect-csv", str(key), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    truth = {r["id"]: r["label_name"] for r in csv.DictReader(key.open(encoding="utf-8"))}
    assert {d["file"].rsplit("/", 1)[-1][:-4]: d["expected"] for d in data} == truth
    assert all(d["outcome"] in {"match", "not yet", "uncertain"} for d in data if d["error"] is None)
    assert set(truth.values()) <= set(LABELS4)


def test_an_unknown_expected_rule_is_a_usage_error(samples, tiny_bundle, capsys):
    assert main([str(samples), "--model", str(tiny_bundle), "--device", "cpu", "--expect", "qalqalah"]) == 2
    assert "not a rule of tiny" in capsys.readouterr().err


def test_without_expected_rules_the_csv_is_unchanged(samples, tiny_bundle, tmp_path):
    out = tmp_path / "r.csv"
    main([str(samples), "--model", str(tiny_bundle), "--device", "cpu", "--csv", str(out)])
    assert rows(out)[0][-1] == "error"
