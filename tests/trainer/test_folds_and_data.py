from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from trainer.data import DataError, cached_kaggle_path, kaggle_dataset_path, load_dataset
from trainer.folds import make_folds
from tests.conftest import need_data, tone


def kaggle_copy(tmp_path, ids=(1, 2, 3, 4, 61, 62, 63, 64, 96, 97, 98, 99, 131, 132, 133, 134)):
    src = need_data("tajweed4")
    root = tmp_path / "kaggle"
    (root / "train").mkdir(parents=True)
    lines = (src / "train.csv").read_text().splitlines()
    keep = [lines[0]] + [line for line in lines[1:] if int(line.split(",")[0]) in ids]
    (root / "train.csv").write_text("\n".join(keep) + "\n")
    for i in ids:
        shutil.copy(src / "train" / f"{i}.wav", root / "train" / f"{i}.wav")
    return root


def test_kaggle_layout_with_extra_column_and_a_bad_file(tmp_path):
    root = kaggle_copy(tmp_path)
    (root / "train" / "3.wav").write_bytes(b"not audio")
    ds = load_dataset(root, show_progress=False)
    assert ds.layout == "kaggle" and ds.labels == ["Idgham", "Ikhfa", "Iqlab", "Izhar"]
    assert len(ds.items) == 15 and len(ds.skipped) == 1
    assert "3.wav" in ds.skipped[0][1] and "not a readable audio file" in ds.skipped[0][1]
    assert all(it.path.name != "3.wav" for it in ds.items)  # left out, not zero-filled or relabelled
    assert set(ds.groups) == {"src1_unknown"}


def test_folder_per_rule_layout(tmp_path):
    src = need_data("rules14")
    root = tmp_path / "rules"
    for rule in ("ikhfa", "iqlab"):
        (root / rule).mkdir(parents=True)
        for f in sorted((src / rule).glob("*.opus"))[:3]:
            shutil.copy(f, root / rule / f.name)
        (root / rule / "blank.txt").write_text("")  # non-audio files are ignored
    sf.write(root / "iqlab" / "silent.wav", np.zeros(16000, np.float32), 16000)
    ds = load_dataset(root, show_progress=False)
    assert ds.layout == "folders" and ds.labels == ["ikhfa", "iqlab"]
    assert len(ds.items) == 6 and [p.name for p, _ in ds.skipped] == ["silent.wav"]


def test_unusable_folder_says_why(tmp_path):
    with pytest.raises(DataError, match="neither the Kaggle layout"):
        load_dataset(tmp_path, show_progress=False)


def test_splits_are_repeatable_and_respect_groups():
    y = [i % 4 for i in range(40)]
    groups = [f"r{i % 5}" for i in range(40)]
    a = make_folds(y, groups, 5, "stratified", 42)
    assert a == make_folds(y, groups, 5, "stratified", 42)
    assert a != make_folds(y, groups, 5, "stratified", 7)
    assert sorted(i for _, va in a for i in va) == list(range(40))
    for tr, va in make_folds(y, groups, 5, "grouped", 42):
        assert not {groups[i] for i in tr} & {groups[i] for i in va}
    (tr, va), = make_folds(y, groups, 5, "holdout:r2", 42)
    assert {groups[i] for i in va} == {"r2"} and "r2" not in {groups[i] for i in tr}


def test_kaggle_offline_uses_the_seeded_cache(tmp_path, monkeypatch):
    cache = tmp_path / "kh"
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(cache))
    monkeypatch.setenv("KAGGLE_API_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: offline
    base = cache / "datasets" / "mohammad2012191" / "tajweed-dataset"
    shutil.copytree(need_data("kaggle_samples"), base / "versions" / "2")
    (base / "2.complete").write_text("")
    assert cached_kaggle_path("mohammad2012191/tajweed-dataset") == base / "versions" / "2"
    path = kaggle_dataset_path("mohammad2012191/tajweed-dataset")
    assert path == base / "versions" / "2"
    ds = load_dataset(path, show_progress=False)
    # the Kaggle copy of 3.wav (the only Iqlab here) holds 0.2 s of sound: reported and left out
    assert ds.labels == ["Idgham", "Ikhfa", "Izhar"]
    assert [(p.name, "no recitation heard" in e) for p, e in ds.skipped] == [("3.wav", True)]


def test_kaggle_offline_without_cache_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "empty"))
    monkeypatch.setenv("KAGGLE_API_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(DataError) as info:
        kaggle_dataset_path("someone/nothing")
    assert "no cached copy" in str(info.value) and "\n" not in str(info.value)
