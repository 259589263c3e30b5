"""A 2,000-clip batch whose resident memory stops growing after warm-up (slow: `make test-slow`,
which CI runs after the default tests)."""

from __future__ import annotations

import pytest

from tajweed_desktop.core.checking.batch import check_files
from tajweed_desktop.core.common.memory import resident_mb as rss_mb
from tajweed_desktop.core.model.ensemble import Ensemble
from tests.conftest import need_data

# minutes of decoding, near the default 5-minute hang guard: on a busy CPU (a CI rehearsal beside
# training jobs) it was killed as hung, so it gets a guard of its own
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_a_2000_clip_batch_keeps_memory_flat(tiny_bundle):
    clips = sorted(need_data("tajweed4", "train").glob("*.wav"))[:40]
    paths = clips * 50  # 2,000 real clips, decode included
    ens = Ensemble.from_path(tiny_bundle, device="cpu")
    samples = []
    for n, r in enumerate(check_files(ens, paths), 1):
        assert r.ok, r.error
        if n % 200 == 0:
            samples.append(rss_mb())
    ens.close()
    after_warm_up = samples[1:]  # the first 200 clips fill allocator caches and oneDNN's kernels
    growth = max(after_warm_up) - after_warm_up[0]
    assert growth < 40, f"resident memory grew {growth:.0f} MB after warm-up: {[round(s) for s in samples]}"
