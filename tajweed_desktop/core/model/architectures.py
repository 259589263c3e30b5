"""What each fold model looks like, without torch: the cards' architecture entries and the shape
of every weight, so a bundle is checked on load by an app that never imports torch.

`model.py` builds the torch modules from these constants; `tests/core/model/test_architectures.py`
holds the shapes to the modules' own state dicts."""

from __future__ import annotations

CHANNELS = (1, 32, 64, 128, 256)
KERNEL_SIZE = 11
STRIDE = 2
PADDING = 5

ARCHITECTURE = {
    "name": "CNN1D",
    "channels": list(CHANNELS),
    "kernel_size": KERNEL_SIZE,
    "stride": STRIDE,
    "padding": PADDING,
    "pooling": "global_average",
    "input": "(batch, 1, 64000) float32, 16 kHz",
}

FRAME_DIM = 512  # Whisper base's encoder width
FRAME_CHANNELS = 128
FRAME_DROPOUT = 0.3
FRAME_KERNELS = (5, 3)

FRAME_ARCHITECTURE = {
    "name": "FrameCNN1D",
    "input_dim": FRAME_DIM,
    "layers": [
        {"conv": [FRAME_DIM, FRAME_CHANNELS], "kernel_size": 5, "stride": 2, "padding": 2},
        {"conv": [FRAME_CHANNELS, FRAME_CHANNELS], "kernel_size": 3, "stride": 1, "padding": 1},
    ],
    "pooling": "mean_and_max_over_time",
    "dropout": FRAME_DROPOUT,
    "input": "(batch, 512, 200) float32 encoder frames of a 4 s clip (20 ms each)",
}

NAMES = ("CNN1D", "FrameCNN1D")


def _conv_bn(prefix: int, c_in: int, c_out: int, k: int) -> dict[str, tuple[int, ...]]:
    """A Conv1d at net.{prefix} followed by its BatchNorm1d at net.{prefix + 1}."""
    bn = f"net.{prefix + 1}"
    return {
        f"net.{prefix}.weight": (c_out, c_in, k), f"net.{prefix}.bias": (c_out,),
        f"{bn}.weight": (c_out,), f"{bn}.bias": (c_out,), f"{bn}.running_mean": (c_out,),
        f"{bn}.running_var": (c_out,), f"{bn}.num_batches_tracked": (),
    }


def state_shapes(architecture: dict, num_classes: int) -> dict[str, tuple[int, ...]]:
    """Every weight's name and shape in the fold model a card's architecture names (cards
    without a name predate FrameCNN1D)."""
    name = architecture.get("name", "CNN1D")
    shapes: dict[str, tuple[int, ...]] = {}
    if name == "CNN1D":  # (Conv1d, BatchNorm1d, ReLU) x 4: modules 0, 3, 6, 9
        for i, (c_in, c_out) in enumerate(zip(CHANNELS[:-1], CHANNELS[1:])):
            shapes |= _conv_bn(3 * i, c_in, c_out, KERNEL_SIZE)
        features = CHANNELS[-1]
    elif name == "FrameCNN1D":
        shapes |= _conv_bn(0, FRAME_DIM, FRAME_CHANNELS, FRAME_KERNELS[0])
        shapes |= _conv_bn(3, FRAME_CHANNELS, FRAME_CHANNELS, FRAME_KERNELS[1])
        features = 2 * FRAME_CHANNELS  # mean and max of each channel
    else:
        raise ValueError(f"unknown architecture {name!r}")
    return shapes | {"fc.weight": (num_classes, features), "fc.bias": (num_classes,)}
