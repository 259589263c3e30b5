"""The batch view and its controller: names, order, failed rows, the filter, expected rules, export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from tajweed_desktop.app.batch_view import natural_key
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
