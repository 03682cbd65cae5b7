"""Small MLPs for the 2-D mixture benchmarks (ring of 8, 5 x 5 grid): the usual setting of the
mode-collapse literature (Metz et al. 2017; Srivastava et al. 2017), three hidden layers each."""
from __future__ import annotations

import torch
from torch import nn

from ganpriors.nets.dcgan import spectral_normalise
from ganpriors.nets.heads import DOut

HIDDEN_LAYERS = 3


def _mlp(sizes: list[int], activation) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    def __init__(self, z_dim: int, hidden: int, out_dim: int = 2):
        super().__init__()
        self.z_dim = z_dim
        self.net = _mlp([z_dim] + [hidden] * HIDDEN_LAYERS + [out_dim], nn.ReLU)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Unconditional: labels, if given, are ignored."""
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """A logit, or an m-dimensional embedding (MaEM-GAN) with outputs = m; the last hidden layer's
    activations are the `features` head."""

    def __init__(self, hidden: int, in_dim: int = 2, norm: str = "none", outputs: int = 1):
        super().__init__()
        self.outputs = outputs
        self.net = _mlp([in_dim] + [hidden] * HIDDEN_LAYERS + [outputs], lambda: nn.LeakyReLU(0.2))
        if norm == "spectral":
            spectral_normalise(self.net)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DOut:
        """Unconditional: labels, if given, are ignored."""
        features = self.net[:-1](x)  # the same layers as self.net(x), split to expose the features
        out = self.net[-1](features)
        return DOut(logit=out.view(-1), features=features) if self.outputs == 1 else DOut(out, features, embedding=out)


def build_mlp(model, data_shape=(2,)):
    if len(data_shape) != 1:
        raise ValueError(f"mlp is built for points (vectors), got samples of shape {data_shape}")
    if model.d_norm not in ("none", "spectral"):
        raise ValueError(f"mlp discriminator supports d_norm none or spectral, not {model.d_norm}")
    return (MLPGenerator(model.z_dim, model.g_channels, data_shape[0]),
            MLPDiscriminator(model.d_channels, data_shape[0], model.d_norm, model.d_outputs))
