"""The fold models: the recipe's CNN1D on raw 16 kHz waveforms, and FrameCNN1D over the speech
front end's encoder frames (`frontend.py`).

CNN1D keeps the teaching notebook's parameter names:

`net` is the notebook's nn.Sequential (Conv1d, BatchNorm1d, ReLU) x 4 then AdaptiveAvgPool1d(1);
`fc` is its Linear head. State dict keys are therefore `net.0.weight`, `net.1.running_mean`, ...,
`fc.weight`, `fc.bias`: a notebook checkpoint loads with `load_state_dict` unchanged.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from tajweed_desktop.core.model.architectures import (  # noqa: F401 (ARCHITECTURE, FRAME_ARCHITECTURE re-exported)
    ARCHITECTURE,
    CHANNELS,
    FRAME_ARCHITECTURE,
    FRAME_CHANNELS,
    FRAME_DIM,
    FRAME_DROPOUT,
    FRAME_KERNELS,
    KERNEL_SIZE,
    PADDING,
    STRIDE,
)


class CNN1D(nn.Module):
    def __init__(self, num_classes: int):
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in zip(CHANNELS[:-1], CHANNELS[1:]):
            layers += [
                nn.Conv1d(c_in, c_out, kernel_size=KERNEL_SIZE, stride=STRIDE, padding=PADDING),
                nn.BatchNorm1d(c_out),
                nn.ReLU(),
            ]
        layers.append(nn.AdaptiveAvgPool1d(1))
        self.net = nn.Sequential(*layers)
        self.fc = nn.Linear(CHANNELS[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, 1, samples) -> logits (batch, classes)."""
        return self.fc(self.net(x).flatten(1))


class FrameCNN1D(nn.Module):
    """Two Conv1d+BN+ReLU blocks over the encoder's frame sequence, then the mean and the max of
    each channel over time (where a rule is heard matters less than that it is heard), a
    dropout and a linear head. Small on purpose: a few hundred clips from seven voices."""

    def __init__(self, num_classes: int, dim: int = FRAME_DIM, channels: int = FRAME_CHANNELS):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(dim, channels, kernel_size=FRAME_KERNELS[0], stride=2, padding=FRAME_KERNELS[0] // 2),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            nn.Conv1d(channels, channels, kernel_size=FRAME_KERNELS[1], stride=1, padding=FRAME_KERNELS[1] // 2),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
        )
        self.dropout = nn.Dropout(FRAME_DROPOUT)
        self.fc = nn.Linear(2 * channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, dim, frames) -> logits (batch, classes)."""
        h = self.net(x)
        pooled = torch.cat([h.mean(dim=-1), h.amax(dim=-1)], dim=1)
        return self.fc(self.dropout(pooled))


def build_model(architecture: dict, num_classes: int) -> nn.Module:
    """The fold model a card's architecture names (cards without a name predate FrameCNN1D)."""
    name = architecture.get("name", "CNN1D")
    if name == "CNN1D":
        return CNN1D(num_classes)
    if name == "FrameCNN1D":
        return FrameCNN1D(num_classes)
    raise ValueError(f"unknown architecture {name!r}")


def _fold_conv_bn(conv: nn.Conv1d, bn: nn.BatchNorm1d) -> nn.Conv1d:
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused = nn.Conv1d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding)
    fused.weight.copy_(conv.weight * scale[:, None, None])
    fused.bias.copy_((conv.bias - bn.running_mean) * scale + bn.bias)
    return fused


@torch.no_grad()
def fold_batchnorm(model: nn.Module) -> nn.Module:
    """An inference copy with each BatchNorm folded into the convolution before it.

    In eval mode BN is a per-channel affine map, so conv then BN equals one conv with scaled
    weights and a shifted bias (equal within float rounding, about 1e-6): one pass over the
    activations fewer per layer. The copy keeps `fc` and the pooling; it cannot be trained."""
    layers: list[nn.Module] = []
    modules = list(model.net)
    i = 0
    while i < len(modules):
        conv = modules[i]
        bn = modules[i + 1] if i + 1 < len(modules) else None
        if isinstance(conv, nn.Conv1d) and isinstance(bn, nn.BatchNorm1d):
            layers.append(_fold_conv_bn(conv, bn))
            i += 2
        else:
            layers.append(conv)
            i += 1
    folded = copy.deepcopy(model)
    folded.net = nn.Sequential(*layers)
    return folded.eval()


def fold_models(architecture: dict, num_classes: int, fold_states: list[dict]) -> list[nn.Module]:
    """A bundle's fold models in eval mode with the weights as trained (arrays or tensors)."""
    models = []
    for state in fold_states:
        m = build_model(architecture, num_classes)
        m.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
        models.append(m.eval())
    return models
