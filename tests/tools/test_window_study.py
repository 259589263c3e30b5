"""tools/window_study.py keeps the shortest padding whose accuracy stays within today's spread."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("window_study", REPO / "tools" / "window_study.py")
ws = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ws)


def run(pad: float, split: str, seed: int, f1: float, fold_std: float = 0.05, data: str = "d") -> dict:
    return {"run": f"{pad}-{split}-{seed}", "pad": pad, "split": split, "seed": seed, "fingerprint": data,
            "macro_f1": f1, "fold_std": fold_std, "accuracy": f1, "voice_only": 0.3}


def test_the_shortest_padding_within_one_sd_on_every_split_wins():
    runs = [run(8.0, "voices", s, f) for s, f in ((1, 0.90), (2, 0.92), (3, 0.94))]  # sd 0.02
    runs += [run(8.0, "words", s, f) for s, f in ((1, 0.96), (2, 0.97), (3, 0.98))]  # sd 0.01
    runs += [run(4.0, "voices", s, 0.905) for s in (1, 2, 3)] + [run(4.0, "words", s, 0.95) for s in (1, 2, 3)]
    runs += [run(5.0, "voices", s, 0.901) for s in (1, 2, 3)] + [run(5.0, "words", s, 0.965) for s in (1, 2, 3)]
    out = ws.summarise(runs, today=8.0)
    assert out["verdicts"][4.0]["splits"]["voices"]["passes"]  # 0.905 >= 0.92 - 0.02
    assert not out["verdicts"][4.0]["splits"]["words"]["passes"]  # 0.95 < 0.97 - 0.01
    assert out["verdicts"][5.0]["passes"] and out["winner_pad_seconds"] == 5.0


def test_one_seed_of_today_uses_its_spread_over_folds_and_an_unrun_split_fails():
    runs = [run(8.0, "voices", 42, 0.92, fold_std=0.08), run(8.0, "words", 42, 0.97, fold_std=0.01),
            run(4.0, "voices", 42, 0.85), run(4.5, "voices", 42, 0.95), run(4.5, "words", 42, 0.955)]
    out = ws.summarise(runs, today=8.0)
    assert out["verdicts"][4.0]["splits"]["words"] is None and not out["verdicts"][4.0]["passes"]
    assert out["verdicts"][4.5]["splits"]["voices"]["std_over"] == "folds"
    assert not out["verdicts"][4.5]["passes"]  # words 0.955 < 0.97 - 0.01
    assert out["winner_pad_seconds"] == 8.0  # today always passes its own test


def test_runs_of_other_data_are_refused():
    with pytest.raises(SystemExit, match="different data"):
        ws.summarise([run(8.0, "voices", 1, 0.9), run(4.0, "voices", 1, 0.9, data="other")], today=8.0)


def test_across_data_pools_seeds_whose_paddings_share_their_data_and_no_others():
    runs = [run(8.0, "voices", 1, 0.92), run(4.0, "voices", 1, 0.91),
            run(8.0, "voices", 2, 0.93, data="cut again"), run(4.0, "voices", 2, 0.90, data="cut again")]
    out = ws.summarise(runs, today=8.0, across_data=True)
    assert out["table"][0]["seeds"] == [1, 2] and {f for _, _, f in out["data"]} == {"d", "cut again"}
    with pytest.raises(SystemExit, match="different data"):
        ws.summarise(runs[:3] + [run(4.0, "voices", 2, 0.90)], today=8.0, across_data=True)


def test_a_run_folder_and_its_copy_under_reports_read_alike(tmp_path):
    metrics = {"recipe": {"name": "frames_plain_pad40", "pad_seconds": 4.0}, "strategy": "voices", "seed": 2,
               "fingerprint": "abc", "cnn_macro_f1": {"mean": 0.91, "std": 0.08},
               "out_of_fold": {"accuracy": 0.84}, "voice_baseline_macro_f1": {"mean": 0.2}}
    run_dir, copy = tmp_path / "runs" / "pad40-voices-s2", tmp_path / "reports" / "pad40-voices-s2"
    (run_dir / "report").mkdir(parents=True)
    copy.mkdir(parents=True)
    (run_dir / "report" / "metrics.json").write_text(json.dumps(metrics))
    (copy / "metrics.json").write_text(json.dumps(metrics))
    a, b = ws.read_run(run_dir), ws.read_run(copy)
    assert {k: v for k, v in a.items() if k != "run"} == {k: v for k, v in b.items() if k != "run"}
    assert (a["pad"], a["split"], a["seed"], a["macro_f1"]) == (4.0, "voices", 2, 0.91)
    assert not ws.has_metrics(tmp_path)
