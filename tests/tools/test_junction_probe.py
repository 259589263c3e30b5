"""tools/junction_probe.py --fold-models: only a fold that held out the voice alone may judge it."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("junction_probe", REPO / "tools" / "junction_probe.py")
jp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jp)


def run_with_oof(tmp_path, rows: list[tuple[str, str]]):
    (tmp_path / "report").mkdir()
    lines = ["file,label,group,fold,predicted"] + [f"c{i}.wav,Ikhfa,{g},{f},Ikhfa" for i, (g, f) in enumerate(rows)]
    (tmp_path / "report" / "oof.csv").write_text("\n".join(lines) + "\n")
    return tmp_path


@pytest.mark.parametrize("rows", [
    [("husary", "1"), ("husary", "2"), ("maher", "3")],  # a words split: the voice is in two folds
    [("husary", "1"), ("maher", "1")],  # the fold also held out another voice
    [("maher", "1")],  # the voice is not in the run
])
def test_a_fold_that_did_not_hold_out_the_voice_alone_is_refused(tmp_path, rows):
    with pytest.raises(SystemExit, match="no fold held out 'husary' alone"):
        jp.held_out_fold_model(run_with_oof(tmp_path, rows), "husary", REPO / "assets" / "models" / "tajweed4")
