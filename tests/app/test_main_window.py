from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from tajweed_desktop.core.audio.recording import load_recording
from tests.app.conftest import write_voice
from tests.conftest import LABELS4, need_data


def drop(window, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_open_a_real_clip_shows_waveform_and_rules(window, qtbot):
    path = need_data("tajweed4", "train", "1.wav")
    window.open_file(str(path))
    qtbot.waitUntil(lambda: getattr(window, "last_analysis", None) is not None, timeout=20000)
    rec = load_recording(path)
    assert np.allclose(window.waveform.samples, rec.samples)
    probs = window.last_analysis.clip.probabilities
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)
    assert list(window.panel.rows) == LABELS4
    shown = [float(window.panel.rows[x][2].text().split("%")[0]) / 100 for x in LABELS4]
    assert np.allclose(shown, probs, atol=0.001)
    assert window.last_analysis.timeline  # 5.2 s > 4 s: a timeline under the waveform
    assert window.waveform.timeline_plot.isVisible() or not window.isVisible()


def test_drop_file_and_folder_then_export(window, qtbot, tmp_path):
    folder = tmp_path / "class"
    shutil.copytree(need_data("kaggle_samples", "train"), folder)
    (folder / "corrupt.wav").write_bytes(b"junk")
    drop(window, folder / "2.wav")
    qtbot.waitUntil(lambda: getattr(window, "last_analysis", None) is not None, timeout=20000)
    assert window.recording.path.name == "2.wav"
    drop(window, folder)
    qtbot.waitUntil(lambda: window.batch_worker is None and len(window.batch.results) == 5, timeout=30000)
    assert window.batch.model.rowCount() == 5
    shown = [window.batch.proxy.index(r, 0).data() for r in range(5)]
    assert shown == ["1.wav", "2.wav", "3.wav", "10.wav", "corrupt.wav"]  # natural order, relative names
    errors = [r for r in window.batch.results if not r.ok]  # the Kaggle copy of 3.wav holds 0.2 s of sound
    assert [e.path.name for e in errors] == ["3.wav", "corrupt.wav"] and "no recitation heard" in errors[0].error
    out = tmp_path / "export.csv"
    assert window.export_csv(str(out))
    rows = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    assert rows[0] == ["file", "predicted_rule", "confidence", "uncertain", *[f"p_{x}" for x in LABELS4], "error"]
    # in the table's order (issue 21 item 9), not the order checked (1, 10, 2, 3)
    assert [r[0].rsplit("/", 1)[-1] for r in rows[1:]] == shown
    assert rows[5][-1] and rows[3][-1] and all(rows[i][1] in LABELS4 for i in (1, 2, 4))
    # byte for byte what the headless checker writes for the same folder and bundle
    from tajweed_desktop.cli import main as check

    checker_csv = tmp_path / "checker.csv"
    assert check([str(folder), "--model", str(window.model_path()), "--device", "cpu", "--csv", str(checker_csv)]) == 1
    # the same bytes, row for row, as the headless checker writes (it keeps the order checked)
    app_lines, checker_lines = out.read_bytes().split(b"\n"), checker_csv.read_bytes().split(b"\n")
    assert app_lines[0] == checker_lines[0] and sorted(app_lines) == sorted(checker_lines)


def test_cancel_stops_a_batch(window, qtbot, tmp_path):
    src = need_data("tajweed4", "train")
    folder = tmp_path / "many"
    folder.mkdir()
    for f in sorted(src.glob("*.wav"))[:40]:
        shutil.copy(f, folder / f.name)
    window.open_folder(str(folder))
    qtbot.waitUntil(lambda: len(window.batch.results) >= 1, timeout=30000)
    window.cancel_batch()
    qtbot.waitUntil(lambda: window.batch_worker is None, timeout=30000)
    assert len(window.batch.results) < 40 and "Cancelled" in window.batch.status.text()


def test_no_bundle_opens_and_says_so(make_window, tmp_path, qtbot):
    w = make_window(model=tmp_path / "missing")
    assert w.ensemble is None and "No model loaded" in w.panel.verdict.text()
    assert str(tmp_path / "missing") in w.panel.verdict.text()


def test_a_tampered_bundle_opens_and_says_so(make_window, tiny_bundle, qtbot):
    w = tiny_bundle / "fold1.safetensors"
    w.write_bytes(w.read_bytes()[:-100])
    win = make_window(model=tiny_bundle)
    qtbot.waitUntil(lambda: "No model loaded" in win.panel.verdict.text(), timeout=20000)
    assert "does not match its sha256" in win.panel.verdict.text() and win.ensemble is None


def test_settings_survive_a_restart(make_window, qtbot, tmp_path):
    w = make_window()
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=20000)
    w.settings.add_recent("/x/a.wav")
    w.resize(700, 500)
    w.close()
    w2 = make_window()
    qtbot.waitUntil(lambda: w2.ensemble is not None, timeout=20000)
    assert w2.settings.recent_files()[0] == "/x/a.wav" and w2.size().width() == 700
    assert w2.settings.device == "cpu"


def test_export_to_a_full_disk_or_a_read_only_place_says_so_and_leaves_nothing(window, qtbot, tmp_path, monkeypatch):
    from tests.conftest import READ_ONLY, disk_fills_halfway

    folder = tmp_path / "class"
    shutil.copytree(need_data("kaggle_samples", "train"), folder)
    window.open_folder(str(folder))
    qtbot.waitUntil(lambda: window.batch_worker is None, timeout=30000)
    if Path("/sys").is_dir():
        assert not window.export_csv(str(READ_ONLY))
        assert f"Cannot write {READ_ONLY}" in window.statusBar().currentMessage() and not READ_ONLY.exists()
    out = tmp_path / "out" / "export.csv"
    out.parent.mkdir()
    disk_fills_halfway(monkeypatch)
    assert not window.export_csv(str(out))
    assert "No space left on device" in window.statusBar().currentMessage()
    assert list(out.parent.iterdir()) == []  # neither the export nor its temporary file


def test_about_shows_the_version_and_the_model_card(make_window, qtbot):
    import json

    from tajweed_desktop import __version__
    from tajweed_desktop.core.model.paths import bundled_models_dir

    bundle = bundled_models_dir() / "rules14"
    w = make_window(bundle)
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=30000)
    card = json.loads((bundle / "model.json").read_text())
    text = w.about_text()
    assert __version__ in text and "rules14" in text and "Ikhfa shafawi" in text and "14 rules" in text
    assert f"{card['cross_validation']['macro_f1_mean']:.2f}" in text
    assert f"{card['training_data']['clips']} clips" in text and "Running on CPU" in text
    assert "may not catch a noon said the wrong way" in text  # what a ✓ cannot promise (issue 22)
    # no raw rule ids, development paths or jargon
    assert "ikhfa_syafawi" not in text and card["training_data"]["source"] not in text and "F1" not in text


def test_about_says_how_the_model_did_on_voices_it_never_heard_when_its_card_measured_it(make_window, qtbot, tmp_path):
    """The card's nested measure (`make calibration-shipped`) in plain words; a card without one
    (a bundle retrained since) claims nothing about unheard voices."""
    import json
    import shutil

    from tajweed_desktop.core.model.paths import bundled_models_dir

    shipped = bundled_models_dir() / "tajweed4"
    bundle = shutil.copytree(shipped, tmp_path / "tajweed4")
    card = json.loads((bundle / "model.json").read_text())
    per_voice = {"haneef": {"clips": 300, "sure": 280, "accuracy_when_sure": 0.85, "ece": 0.1},
                 "src2": {"clips": 20, "sure": 18, "accuracy_when_sure": 0.78, "ece": 0.2},
                 "quiet": {"clips": 5, "sure": 0, "accuracy_when_sure": None, "ece": 0.3}}
    card["calibration"]["measured"] = {"cross_fitted": {"accuracy": 0.837, "accuracy_when_sure": 0.868, "per_voice": per_voice}}
    (bundle / "model.json").write_text(json.dumps(card))
    w = make_window(bundle)
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=30000)
    text = w.about_text()
    assert "On 3 voices it never heard" in text and "right on 84% of 325 clips" in text
    assert "87% of the answers it did not mark uncertain" in text and "worst on, 78%" in text
    if "measured" not in json.loads((shipped / "model.json").read_text())["calibration"]:
        plain = make_window(shipped)
        qtbot.waitUntil(lambda: plain.ensemble is not None, timeout=30000)
        assert "voices it never heard" not in plain.about_text()


def test_opening_a_file_analyses_it_once(window, qtbot, monkeypatch):
    from tajweed_desktop.app import analysis_controller

    jobs = []
    real = analysis_controller.analysis_job

    def counted(ensemble, rec, start, end):
        jobs.append((start, end))
        return (yield from real(ensemble, rec, start, end))

    monkeypatch.setattr(analysis_controller, "analysis_job", counted)
    for name in ("1.wav", "2.wav"):
        window.last_analysis = None
        window.open_file(str(need_data("tajweed4", "train", name)))
        qtbot.waitUntil(lambda: window.last_analysis is not None and not window.workers.busy, timeout=20000)
    assert len(jobs) == 2  # not again for the selection the new waveform starts with
    window.waveform.region.setRegion((0.5, 2.0))  # a user's selection still analyses that span
    qtbot.waitUntil(lambda: len(jobs) == 3 and not window.workers.busy, timeout=20000)
    assert jobs[-1] == (0.5, 2.0)




def test_a_longer_clip_after_a_shorter_one_is_analysed_whole(window, qtbot, tmp_path):
    """Bug: the waveform set the selection before its bounds, so a 16 s file opened after a 4 s one
    was analysed as 0-4 s, with no timeline."""
    short, long = write_voice(tmp_path / "short.wav", 4.0), write_voice(tmp_path / "long.wav", 16.0)
    for path in (short, long):
        window.last_analysis = None
        window.open_file(str(path))
        qtbot.waitUntil(lambda: window.last_analysis is not None and not window.workers.busy, timeout=30000)
    assert window.waveform.selection() == pytest.approx((0.0, 16.0), abs=0.01)
    assert window.last_analysis.duration == pytest.approx(16.0, abs=0.01)
    assert window.last_analysis.timeline and window.last_analysis.timeline[-1].end == pytest.approx(16.0, abs=0.01)


def test_a_folder_given_before_the_model_is_ready_runs_once_it_is(make_window, qtbot, tmp_path):
    """Bug: `python -m tajweed_desktop FOLDER` said "no model is loaded" and never ran."""
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("a.wav", "b.wav"):
        write_voice(folder / name, 2.0)
    w = make_window()
    assert w.ensemble is None  # still loading
    w.open_path(str(folder))
    qtbot.waitUntil(lambda: len(w.batch.results) == 2 and w.batch_worker is None, timeout=30000)
    assert all(r.ok for r in w.batch.results) and w.tabs.currentIndex() == 1


def test_drag_and_drop_of_a_file_and_a_folder_through_the_event_system(window, qtbot, tmp_path):
    from PySide6.QtGui import QDragEnterEvent
    from PySide6.QtWidgets import QApplication

    folder = tmp_path / "class"
    folder.mkdir()
    clip = write_voice(folder / "one.wav", 2.0)
    write_voice(folder / "two.wav", 2.0)
    (folder / "notes.txt").write_text("not audio")

    def send(path):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, enter)
        assert enter.isAccepted()
        dropped = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, dropped)
        assert dropped.isAccepted()

    window.last_analysis = None
    send(clip)
    qtbot.waitUntil(lambda: window.last_analysis is not None and window.last_analysis.path == clip, timeout=20000)
    assert window.tabs.currentIndex() == 0
    send(folder)
    qtbot.waitUntil(lambda: len(window.batch.results) == 2 and window.batch_worker is None, timeout=30000)
    assert window.tabs.currentIndex() == 1
    # text that is not a file is refused at the door
    mime = QMimeData()
    mime.setText("hello")
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_esc_cancels_the_analysis_of_a_long_recording_and_then_a_batch(window, qtbot, tmp_path):
    window.open_file(str(write_voice(tmp_path / "long.wav", 90.0)))
    qtbot.waitUntil(lambda: window.panel.progress_host.isVisibleTo(window.panel), timeout=30000)
    window.menus.act_cancel.trigger()  # Esc
    qtbot.waitUntil(lambda: not window.workers.busy, timeout=30000)
    assert window.last_analysis is None and "cancelled" in window.panel.verdict.text()
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(30):
        write_voice(folder / f"{i}.wav", 1.0)
    window.open_folder(str(folder))
    qtbot.waitUntil(lambda: len(window.batch.results) >= 1, timeout=30000)
    window.menus.act_cancel.trigger()
    qtbot.waitUntil(lambda: window.batch_worker is None, timeout=30000)
    assert "Cancelled" in window.batch.status.text()
