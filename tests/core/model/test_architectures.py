"""The torch-free weight shapes the bundle check uses are the torch modules' own."""

from __future__ import annotations

import pytest

from tajweed_desktop.core.model.architectures import (
    ARCHITECTURE,
    FRAME_ARCHITECTURE,
    state_shapes,
)
from tajweed_desktop.core.model.networks import build_model


@pytest.mark.parametrize("arch", [ARCHITECTURE, FRAME_ARCHITECTURE], ids=["CNN1D", "FrameCNN1D"])
@pytest.mark.parametrize("labels", [4, 14])
def test_shapes_are_the_modules_state_dict(arch, labels):
    state = build_model(arch, labels).state_dict()
    assert state_shapes(arch, labels) == {k: tuple(v.shape) for k, v in state.items()}


def test_an_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="Transformer"):
        state_shapes({"name": "Transformer"}, 4)
