"""Menus and settings: the model in use is marked; a bundled model is stored by name."""

from __future__ import annotations

from tajweed_desktop.app.model_loader import path_for, setting_for
from tajweed_desktop.core.model.paths import bundled_models_dir


def test_the_model_menu_marks_the_bundle_in_use_and_stores_its_name(make_window, qtbot):
    w = make_window(bundled_models_dir() / "tajweed4")
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=30000)
    checked = [a.data() for a in w.menus.model_group.actions() if a.isChecked()]
    assert checked == ["tajweed4"]
    rules14 = next(a for a in w.menus.model_group.actions() if a.data() == "rules14")
    rules14.trigger()
    assert w.settings.model_path == "rules14"  # not a path into the install folder
    qtbot.waitUntil(lambda: w.ensemble is not None and w.ensemble.bundle.name == "rules14", timeout=30000)
    assert [a.data() for a in w.menus.model_group.actions() if a.isChecked()] == ["rules14"]
    assert len(w.panel.rows) == 14 and w.practice.mode.count() == 16


def test_a_bundle_setting_by_name_or_path(tmp_path):
    bundled = bundled_models_dir() / "tajweed4"
    assert setting_for(bundled) == "tajweed4" and path_for("tajweed4") == bundled_models_dir() / "tajweed4"
    assert setting_for(tmp_path) == str(tmp_path) and path_for(str(tmp_path)) == tmp_path
    assert path_for("") == bundled_models_dir() / "tajweed4"


def test_a_folder_of_the_users_checks_no_bundled_entry(make_window, tiny_bundle, qtbot):
    w = make_window(tiny_bundle)
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=30000)
    assert not any(a.isChecked() for a in w.menus.model_group.actions())


def test_a_stored_path_into_the_install_folder_becomes_the_bundles_name(make_window, qtbot):
    w = make_window(bundled_models_dir() / "tajweed4")  # as earlier versions stored it
    assert w.settings.model_path == "tajweed4"
    qtbot.waitUntil(lambda: w.ensemble is not None, timeout=30000)


def test_switching_the_model_during_an_analysis_shows_only_the_new_models_verdict(window, qtbot, tmp_path, monkeypatch):
    import threading

    from tajweed_desktop.app import analysis_controller
    from tests.app.conftest import write_voice

    release, real, calls = threading.Event(), analysis_controller.analysis_job, []

    def held(ensemble, rec, start, end):  # the first analysis waits until the new model is loaded
        calls.append(ensemble)
        if len(calls) == 1:
            release.wait(20)
        return (yield from real(ensemble, rec, start, end))

    monkeypatch.setattr(analysis_controller, "analysis_job", held)
    window.open_file(str(write_voice(tmp_path / "clip.wav", 2.0)))
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=30000)
    next(a for a in window.menus.model_group.actions() if a.data() == "rules14").trigger()
    qtbot.waitUntil(lambda: window.ensemble is not None and window.ensemble.bundle.name == "rules14", timeout=60000)
    release.set()  # the old model's verdict arrives now, after the panel shows the 14 rules
    qtbot.waitUntil(lambda: window.last_analysis is not None and not window.workers.busy, timeout=60000)
    assert len(window.last_analysis.clip.labels) == 14 and len(window.panel.rows) == 14
