"""The hostile corpus through the app: opening each file and checking the folder as a batch."""

from __future__ import annotations

from tests.hostile_corpus import make_corpus


def test_opening_each_hostile_file_shows_a_result_or_says_why(window, qtbot, tmp_path):
    expect = make_corpus(tmp_path / "h")
    for name, want in expect.items():
        path = tmp_path / "h" / name
        window.last_analysis = None
        window.open_file(str(path))
        qtbot.waitUntil(lambda: not window.workers.busy, timeout=20000)
        if want == "ok":
            qtbot.waitUntil(lambda: window.last_analysis is not None and window.last_analysis.path == path, timeout=20000)
        else:
            shown = window.panel.verdict.text()
            assert want in shown and name in shown, (name, shown)
            assert window.last_analysis is None
    # and the window still works afterwards
    window.open_file(str(tmp_path / "h" / "good tone.wav"))
    qtbot.waitUntil(lambda: window.last_analysis is not None, timeout=20000)


def test_batch_view_on_the_hostile_folder(window, qtbot, tmp_path):
    expect = make_corpus(tmp_path / "h")
    window.open_folder(str(tmp_path / "h"))
    qtbot.waitUntil(lambda: window.batch_worker is None, timeout=60000)
    results = {r.path.name: r for r in window.batch.results}
    assert sorted(results) == sorted(expect)
    for name, r in results.items():
        if expect[name] == "ok":
            assert r.ok, (name, r.error)
        else:
            assert expect[name] in r.error and name in r.error, (name, r.error)
    assert window.batch.model.rowCount() == len(expect)
    assert f"{len(expect)} of {len(expect)} checked" in window.batch.status.text()


def test_a_folder_of_5000_short_files_lists_checks_and_exports(window, qtbot, tmp_path):
    """Scale without model time: 5,000 clips of 10 ms (each refused as too short) and two good ones."""
    import numpy as np
    import soundfile as sf

    folder = tmp_path / "many"
    folder.mkdir()
    blip = np.zeros(160, np.float32)
    blip[::8] = 0.5
    for i in range(5000):
        sf.write(folder / f"clip {i:04d}.wav", blip, 16000)
    from tests.conftest import voice

    for name in ("good a.wav", "good b.wav"):
        sf.write(folder / name, voice(2.0, amp=0.3), 16000)
    window.open_folder(str(folder))
    qtbot.waitUntil(lambda: window.batch_worker is None, timeout=240000)
    assert len(window.batch.results) == 5002 and window.batch.model.rowCount() == 5002
    assert sum(r.ok for r in window.batch.results) == 2
    assert all("too short" in r.error for r in window.batch.results if not r.ok)
    out = tmp_path / "all.csv"
    assert window.export_csv(str(out))
    assert len(out.read_bytes().decode("utf-8-sig").splitlines()) == 5003
