"""The recipe's CNN1D on raw 16 kHz waveforms, with the teaching notebook's parameter names.

`net` is the notebook's nn.Sequential (Conv1d, BatchNorm1d, ReLU) x 4 then AdaptiveAvgPool1d(1);
`fc` is its Linear head. State dict keys are therefore `net.0.weight`, `net.1.running_mean`, ...,
`fc.weight`, `fc.bias`: a notebook checkpoint loads with `load_state_dict` unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

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


@torch.no_grad()
def fold_batchnorm(model: CNN1D) -> CNN1D:
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
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            fused = nn.Conv1d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding)
            fused.weight.copy_(conv.weight * scale[:, None, None])
            fused.bias.copy_((conv.bias - bn.running_mean) * scale + bn.bias)
            layers.append(fused)
            i += 2
        else:
            layers.append(conv)
            i += 1
    folded = CNN1D(model.fc.out_features)
    folded.net = nn.Sequential(*layers)
    folded.fc.load_state_dict(model.fc.state_dict())
    return folded.eval()
