"""`verse_steps` (the app's worker) is `check_verse_file` step by step: the same result."""

from __future__ import annotations

import dataclasses

from tests.conftest import need_data


def test_verse_steps_gives_what_check_verse_file_gives(tiny_bundle):
    from tajweed_desktop.core.checking.verses import check_verse_file, rows, verse_steps
    from tajweed_desktop.core.model.ensemble import Ensemble
    from tajweed_desktop.core.model.transcriber import Transcriber

    mp3 = need_data("reciters5", "verses", "husary", "082005.mp3")
    ensemble = Ensemble.from_path(tiny_bundle, device="cpu")
    try:
        tr = Transcriber()
        for given in (None, (82, 7, 7)):  # named by the file; named wrongly
            steps, gen = [], verse_steps(ensemble, tr, mp3, given=given)
            try:
                while True:
                    steps.append(next(gen))
            except StopIteration as stop:
                stepped = stop.value
            whole = check_verse_file(ensemble, tr, mp3, given=given)
            assert rows(stepped) == rows(whole)
            assert dataclasses.replace(stepped, sites=()) == dataclasses.replace(whole, sites=())
            assert steps[0] == "reading" and steps[1] == f"aligning {'82:5' if given is None else '82:7'}"
        assert "does not sound like 82:7" in whole.error and len(steps) == 2
    finally:
        ensemble.close()
