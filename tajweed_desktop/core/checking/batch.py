"""Check many files: decode ahead on a thread while the models run, one result per file."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from tajweed_desktop.core.audio.recording import Recording, load_or_reason
from tajweed_desktop.core.checking.results import FileResult
from tajweed_desktop.core.model.ensemble import Ensemble


def check_files(
    ensemble: Ensemble,
    paths: list[Path],
    timeline: bool = False,
    chunk: int = 8,
) -> Iterator[FileResult]:
    """Yield a FileResult per path, in order. The next chunk decodes while this one computes.

    Stopping early is closing the generator (the app's Cancel): decodes already queued finish."""
    chunks = [paths[i : i + chunk] for i in range(0, len(paths), chunk)]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode") as pool:
        pending: list[Future] | None = [pool.submit(load_or_reason, p) for p in chunks[0]] if chunks else None
        for n, names in enumerate(chunks):
            decoded = [f.result() for f in pending]
            pending = [pool.submit(load_or_reason, p) for p in chunks[n + 1]] if n + 1 < len(chunks) else []
            good = [d for d in decoded if isinstance(d, Recording)]
            analyses = iter(ensemble.analyse_many(good, timeline=timeline)) if good else iter(())
            for path, d in zip(names, decoded):
                yield FileResult(path, analysis=next(analyses)) if isinstance(d, Recording) else FileResult(path, error=d)
