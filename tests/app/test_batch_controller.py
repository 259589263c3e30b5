"""The batch view and its controller: names, order, failed rows, the filter, expected rules, export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from tajweed_desktop.core.audio.files import natural_key
from tests.app.conftest import write_voice
from tests.conftest import LABELS4


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "a class with a long folder name" / "week 1"
    (root / "sub").mkdir(parents=True)
    for name in ("1.wav", "2.wav", "10.wav", "sub/3.wav"):
        write_voice(root / name, 1.5)
    (root / "broken.wav").write_bytes(b"junk")
    return root


def run(window, qtbot, folder):
    window.open_folder(str(folder))
    qtbot.waitUntil(lambda: window.batch_worker is None and len(window.batch.results) == 5, timeout=30000)


def column(view, col):
    return [view.proxy.index(r, col).data() for r in range(view.proxy.rowCount())]


def test_rows_name_files_relative_to_the_folder_in_natural_order_and_failed_rows_say_so(window, qtbot, folder):
    run(window, qtbot, folder)
    view = window.batch
    assert column(view, 0) == ["1.wav", "2.wav", "10.wav", "broken.wav", "sub/3.wav"]
    result = dict(zip(column(view, 0), column(view, 2)))
    assert result["broken.wav"] == "failed"
    error = dict(zip(column(view, 0), column(view, 7)))["broken.wav"]
    assert "not a readable audio file" in error and str(folder) not in error  # the file column names it
    assert all(str(folder) not in name for name in column(view, 0))
    assert all(result[n].rstrip("?") in {"Idgham", "Ikhfa", "Iqlab", "Izhar"} for n in result if n != "broken.wav")
    assert natural_key("a2.wav") < natural_key("a10.wav")


def test_the_filter_counts_and_export_writes_only_the_rows_shown(window, qtbot, folder, tmp_path):
    run(window, qtbot, folder)
    window.batch.filter.setText("broken")
    assert window.batch.shown.text() == "showing 1 of 5"
    out = tmp_path / "filtered.csv"
    assert window.export_csv(str(out))
    rows = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    assert len(rows) == 2 and rows[1][0].endswith("broken.wav")
    assert "1 of 5 rows" in window.statusBar().currentMessage()


def test_ctrl_e_exports_while_the_filter_has_focus(window, qtbot, folder, tmp_path, monkeypatch):
    run(window, qtbot, folder)
    out = tmp_path / "out" / "r.csv"
    out.parent.mkdir()
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda parent, title, start, f: asked.append(start) or (str(out), ""))
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    window.batch.filter.setFocus()
    assert QApplication.focusWidget() is window.batch.filter
    qtbot.keyClicks(window.batch.filter, "wav")
    qtbot.keyClick(window.batch.filter, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert out.exists() and window.batch.filter.text() == "wav"
    # the dialog opened in the folder last used, not in the working directory
    assert Path(asked[0]).parent == folder


def test_expected_rules_per_file_from_a_csv_are_counted(window, qtbot, folder, tmp_path):
    key = tmp_path / "answers.csv"
    key.write_text("file,expected\n1.wav,Ikhfa\n2.wav,izhar\n10.wav,Idgham\nbroken.wav,Ikhfa\n", encoding="utf-8")
    assert window.batch_controller.load_expected_csv(str(key))
    run(window, qtbot, folder)
    by_name = {r.path.name: r for r in window.batch.results}
    assert by_name["2.wav"].expected == "Izhar" and by_name["3.wav"].expected is None
    outcomes = [by_name[n].outcome for n in ("1.wav", "2.wav", "10.wav")]
    assert all(o in {"match", "not yet", "uncertain"} for o in outcomes)
    matches = outcomes.count("match")
    assert window.batch.tally_label.text().startswith(f"Expected rules: {matches} of 4 as expected")
    assert not window.batch.table.isColumnHidden(5)
    out = tmp_path / "with-expected.csv"
    assert window.export_csv(str(out))
    rows = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    assert rows[0][-2:] == ["expected", "outcome"] and rows[0][:4] == ["file", "predicted_rule", "confidence", "uncertain"]


def test_one_expected_rule_for_every_file(window, qtbot, folder):
    window.batch_controller.set_expected_rule("Ikhfa")
    run(window, qtbot, folder)
    assert {r.expected for r in window.batch.results} == {"Ikhfa"}
    assert window.batch.expect_combo.currentData() == "Ikhfa"
    assert [window.batch.expect_combo.itemData(i) for i in range(2, 6)] == LABELS4


X11_SHORTCUT_CHECK = """
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit
from tajweed_desktop.app.batch_view import FilterEdit
app = QApplication([])
for cls in (QLineEdit, FilterEdit):
    event = QKeyEvent(QEvent.Type.ShortcutOverride, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    event.ignore()
    app.sendEvent(cls(), event)
    print(cls.__name__, event.isAccepted())
"""


def test_on_x11_the_filter_leaves_ctrl_e_to_the_export(tmp_path):
    """On X11 a QLineEdit takes Ctrl+E as "end of line" (offscreen it does not, so this runs in Xvfb)."""
    import os
    import shutil
    import subprocess
    import sys

    if not shutil.which("xvfb-run"):
        pytest.skip("xvfb-run is not installed (apt package xvfb)")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run(["xvfb-run", "-a", sys.executable, "-c", X11_SHORTCUT_CHECK], env=env,
                         capture_output=True, text=True, timeout=60)
    if "QLineEdit" not in out.stdout:
        pytest.skip(f"the xcb platform did not start: {out.stderr.strip()[-300:]}")
    assert "QLineEdit True" in out.stdout  # the X11 binding that swallowed the shortcut
    assert "FilterEdit False" in out.stdout


def kaggle_layout(root: Path, names, rule: str = "Ikhfa") -> Path:
    """`root/train/<id>.wav` beside `root/train.csv`, as the Kaggle data set lays it out."""
    (root / "train").mkdir(parents=True)
    for name in names:
        write_voice(root / "train" / f"{name}.wav", 1.5)
    (root / "train.csv").write_text("id,label_name\n" + "".join(f"{n},{rule}\n" for n in names), encoding="utf-8")
    return root / "train"


def run_folder(window, qtbot, folder, n):
    window.open_folder(str(folder))
    qtbot.waitUntil(lambda: window.batch_worker is None and len(window.batch.results) == n, timeout=30000)


def test_a_folders_answer_key_is_not_used_for_another_folder_and_the_tab_says_which_is_in_force(window, qtbot, tmp_path):
    """Checking tajweed4/train (its train.csv found) and then a folder holding a 10.wav judged
    that row against tajweed4's key ("1 of 1 as expected")."""
    kaggle = kaggle_layout(tmp_path / "kaggle", ["1", "10"])
    run_folder(window, qtbot, kaggle, 2)
    assert {r.expected for r in window.batch.results} == {"Ikhfa"}
    assert "train.csv" in window.batch.key_label.text() and "came with" in window.batch.key_label.text()
    other = tmp_path / "other"
    other.mkdir()
    write_voice(other / "10.wav", 1.5)
    run_folder(window, qtbot, other, 1)
    assert window.batch.results[0].expected is None and window.batch.tally_label.text() == ""
    assert window.batch.expect_combo.currentData() is None and window.batch.key_label.text() == ""
    assert window.batch.table.isColumnHidden(5)
    run_folder(window, qtbot, kaggle, 2)  # and its own folder finds it again
    assert {r.expected for r in window.batch.results} == {"Ikhfa"}
    window.batch_controller.set_expected_rule(None)  # "none" chosen for it: a re-run keeps none
    run_folder(window, qtbot, kaggle, 2)
    assert {r.expected for r in window.batch.results} == {None}


def test_a_rule_chosen_for_one_folder_is_not_used_for_the_next(window, qtbot, folder, tmp_path):
    run(window, qtbot, folder)
    window.batch_controller.set_expected_rule("Izhar")
    other = tmp_path / "other"
    other.mkdir()
    write_voice(other / "a.wav", 1.5)
    run_folder(window, qtbot, other, 1)
    assert window.batch.results[0].expected is None and "Izhar" in window.statusBar().currentMessage()


def test_changing_the_expected_box_after_a_batch_judges_the_rows_again_without_analysing(window, qtbot, folder, tmp_path):
    run(window, qtbot, folder)
    analyses = [r.analysis for r in window.batch.results]
    assert window.batch.tally_label.text() == ""
    combo = window.batch.expect_combo
    combo.activated.emit(combo.findData("Ikhfa"))  # as a user picks "Ikhfa for every file"
    assert window.batch_worker is None and [r.analysis for r in window.batch.results] == analyses
    assert {r.expected for r in window.batch.results} == {"Ikhfa"}
    matches = sum(r.outcome == "match" for r in window.batch.results)
    assert window.batch.tally_label.text().startswith(f"Expected rules: {matches} of 5 as expected")
    assert column(window.batch, 5) == ["Ikhfa"] * 5 and not window.batch.table.isColumnHidden(5)
    out = tmp_path / "rejudged.csv"
    assert window.export_csv(str(out))
    rows = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    assert rows[0][-2:] == ["expected", "outcome"] and {row[-2] for row in rows[1:]} == {"Ikhfa"}
    combo.activated.emit(combo.findData(None))  # none: no expected rules any more
    assert {r.expected for r in window.batch.results} == {None} and window.batch.tally_label.text() == ""
    assert window.batch.table.isColumnHidden(5)


def test_export_writes_the_rows_in_the_tables_order_and_the_users_sort(window, qtbot, folder, tmp_path):
    run(window, qtbot, folder)

    def exported():
        out = tmp_path / "order.csv"
        assert window.export_csv(str(out))
        return [Path(row[0]).relative_to(folder).as_posix() for row in
                list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))[1:]]

    assert exported() == column(window.batch, 0) == ["1.wav", "2.wav", "10.wav", "broken.wav", "sub/3.wav"]
    window.batch.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # by confidence, as a user clicks
    shown = column(window.batch, 0)
    assert shown[-1] == "broken.wav" and exported() == shown


def test_the_sort_stays_after_a_rerun(window, qtbot, folder):
    run(window, qtbot, folder)
    window.batch.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    run(window, qtbot, folder)
    header = window.batch.table.horizontalHeader()
    assert header.isSortIndicatorShown()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (3, Qt.SortOrder.DescendingOrder)
    assert column(window.batch, 0)[-1] == "broken.wav"


def test_the_export_dialog_starts_in_the_last_export_folder(window, qtbot, folder, tmp_path, monkeypatch):
    run(window, qtbot, folder)
    exports = tmp_path / "exports"
    exports.mkdir()
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, f: asked.append(start) or (str(exports / "a.csv"), ""))
    window.batch_controller.choose_export()
    window.batch_controller.choose_export()
    assert Path(asked[0]).parent == folder and Path(asked[1]).parent == exports


def test_each_file_and_each_run_is_logged(window, qtbot, folder, caplog):
    window.batch_controller.set_expected_rule("Ikhfa")
    with caplog.at_level("INFO", logger="tajweed_desktop.batch"):
        run(window, qtbot, folder)
    lines = [r.getMessage() for r in caplog.records if r.name == "tajweed_desktop.batch"]
    checked = [line for line in lines if line.startswith("checked ")]
    assert len(checked) == 5 and all(line.levelname == "INFO" for line in caplog.records if line.name.endswith("batch"))
    by_file = {line.split(": ")[0][len("checked "):]: line for line in checked}
    assert set(by_file) == {str(r.path) for r in window.batch.results}
    assert "failed: not a readable audio file" in by_file[str(folder / "broken.wav")]
    good = by_file[str(folder / "1.wav")]
    r = next(r for r in window.batch.results if r.path.name == "1.wav")
    assert f": {r.analysis.clip.top_rule} " in good and "%" in good and f"expected Ikhfa: {r.outcome}" in good
    summary = [line for line in lines if line.startswith("batch ")]
    assert len(summary) == 1
    assert str(folder) in summary[0] and "5 files, 4 checked, 1 failed" in summary[0]
    assert window.batch.tally_text() in summary[0] and summary[0].endswith(" s")
