"""The plain DCGAN (Radford et al. 2016) scaled to 28 x 28 images (1 channel, or 3 for stacked data)."""
from __future__ import annotations

import torch
from torch import nn

from ganpriors.nets.heads import DOut


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

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Unconditional: labels, if given, are ignored."""
        return self.net(z.view(z.shape[0], self.z_dim, 1, 1))


def _norm(kind: str, channels: int) -> nn.Module:
    # WGAN-GP's penalty is per sample, so its critic uses layer norm (GroupNorm with one group) or none;
    # spectral normalises the weights instead (see spectral_normalise).
    return {"batch": lambda: nn.BatchNorm2d(channels), "layer": lambda: nn.GroupNorm(1, channels),
            "none": nn.Identity, "spectral": nn.Identity}[kind]()


def spectral_normalise(module: nn.Module) -> nn.Module:
    """Spectral norm on every conv and linear weight (Miyato et al. 2018): a 1-Lipschitz-bounded critic
    without a gradient penalty, as MaEM-GAN's discriminator."""
    from torch.nn.utils.parametrizations import spectral_norm

    for name, child in module.named_children():
        if isinstance(child, (nn.Conv2d, nn.Linear)):
            setattr(module, name, spectral_norm(child))
        else:
            spectral_normalise(child)
    return module


class DCGANDiscriminator(nn.Module):
    """Outputs one logit per image, or an m-dimensional embedding (outputs = m, MaEM-GAN), with the
    7 x 7 feature maps before the last convolution as the `features` head."""

    def __init__(self, channels: int, in_channels: int = 1, norm: str = "batch", outputs: int = 1):
        super().__init__()
        c = channels
        self.outputs = outputs
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c, 4, 2, 1),  # 14 x 14
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=norm in ("none", "spectral")),  # 7 x 7
            _norm(norm, 2 * c),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * c, outputs, 7, 1, 0),  # 1 x 1 logit(s)
        )
        self.apply(_init_dcgan)
        if norm == "spectral":
            spectral_normalise(self.net)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DOut:
        """Unconditional: labels, if given, are ignored."""
        features = self.net[:-1](x)  # the same layers as self.net(x), split to expose the features
        out = self.net[-1](features)
        if self.outputs == 1:
            return DOut(logit=out.view(-1), features=features)
        out = out.view(x.shape[0], self.outputs)
        return DOut(logit=out, features=features, embedding=out)


def build_dcgan(model, image_shape=(1, 28, 28)):
    if tuple(image_shape[1:]) != (28, 28):
        raise ValueError(f"dcgan is built for 28 x 28 images, got {image_shape}")
    return (DCGANGenerator(model.z_dim, model.g_channels, image_shape[0]),
            DCGANDiscriminator(model.d_channels, image_shape[0], model.d_norm, model.d_outputs))
