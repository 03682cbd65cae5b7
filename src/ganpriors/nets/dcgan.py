"""The plain DCGAN (Radford et al. 2016) scaled to 28 x 28 single-channel images."""
from __future__ import annotations

import torch
from torch import nn


def _init_dcgan(module: nn.Module) -> None:
    # N(0, 0.02) weights and N(1, 0.02) batch-norm scales, as in the DCGAN paper.
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    def __init__(self, z_dim: int, channels: int, out_channels: int = 1):
        super().__init__()
        c = channels
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 4 * c, 7, 1, 0, bias=False),  # 7 x 7
            nn.BatchNorm2d(4 * c),
            nn.ReLU(True),
            nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False),  # 14 x 14
            nn.BatchNorm2d(2 * c),
            nn.ReLU(True),
            nn.ConvTranspose2d(2 * c, out_channels, 4, 2, 1),  # 28 x 28
            nn.Tanh(),
        )
        self.apply(_init_dcgan)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.z_dim, 1, 1))


def _norm(kind: str, channels: int) -> nn.Module:
    # WGAN-GP's penalty is per sample, so its critic uses layer norm (GroupNorm with one group) or none.
    return {"batch": lambda: nn.BatchNorm2d(channels), "layer": lambda: nn.GroupNorm(1, channels),
            "none": nn.Identity}[kind]()


class DCGANDiscriminator(nn.Module):
    def __init__(self, channels: int, in_channels: int = 1, norm: str = "batch"):
        super().__init__()
        c = channels
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c, 4, 2, 1),  # 14 x 14
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=norm == "none"),  # 7 x 7
            _norm(norm, 2 * c),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * c, 1, 7, 1, 0),  # 1 x 1 logit
        )
        self.apply(_init_dcgan)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)


def build_dcgan(model, image_shape=(1, 28, 28)):
    if tuple(image_shape[1:]) != (28, 28):
        raise ValueError(f"dcgan is built for 28 x 28 images, got {image_shape}")
    return (DCGANGenerator(model.z_dim, model.g_channels, image_shape[0]),
            DCGANDiscriminator(model.d_channels, image_shape[0], model.d_norm))
