"""The plain DCGAN (Radford et al. 2016): at 28 x 28 (Fashion-MNIST, 1 channel, or 3 for stacked
data; 7 -> 14 -> 28), and at the papers' 32 x 32 and 64 x 64 (CIFAR-10, CelebA; 1 or 3 channels):
G from a 4 x 4 map of 8c (64) or 4c (32) channels, halving the channels at every doubling, D the
mirror image with strided 4 x 4 convolutions, no batch norm on D's first layer, as the paper."""
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
    """At 28 x 28: 7 x 7 x 4c -> 14 x 14 x 2c -> 28 x 28 (the layout of this project's studies)."""

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


class PowerOfTwoGenerator(DCGANGenerator):
    """Radford et al.'s generator at side 32 or 64: z -> 4 x 4 x (side / 8) c, then transposed 4 x 4
    convolutions of stride 2 halving the channels, batch norm and ReLU, tanh at the end (at 64 with
    c = 64: 512 -> 256 -> 128 -> 64 -> 3, the paper's)."""

    def __init__(self, z_dim: int, channels: int, out_channels: int, side: int):
        nn.Module.__init__(self)
        self.z_dim = z_dim
        widths = [channels * 2 ** i for i in reversed(range(SIDES[side]))]  # e.g. 8c, 4c, 2c, c at 64
        layers = [nn.ConvTranspose2d(z_dim, widths[0], 4, 1, 0, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], out_channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(_init_dcgan)


class PowerOfTwoDiscriminator(DCGANDiscriminator):
    """The mirror image: strided 4 x 4 convolutions c -> 2c -> ... to a 4 x 4 map (the `features`
    head), LeakyReLU 0.2, normalisation after every layer but the first, a 4 x 4 convolution to the
    logit(s)."""

    def __init__(self, channels: int, in_channels: int, norm: str, outputs: int, side: int):
        nn.Module.__init__(self)
        self.outputs = outputs
        widths = [channels * 2 ** i for i in range(SIDES[side])]  # c, 2c, 4c(, 8c)
        layers = [nn.Conv2d(in_channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv2d(a, b, 4, 2, 1, bias=norm in ("none", "spectral")), _norm(norm, b),
                       nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(widths[-1], outputs, 4, 1, 0))
        self.net = nn.Sequential(*layers)
        self.apply(_init_dcgan)
        if norm == "spectral":
            spectral_normalise(self.net)


SIDES = {32: 3, 64: 4}  # side -> number of stride-2 layers from (or to) the 4 x 4 map


def build_dcgan(model, image_shape=(1, 28, 28)):
    channels, *size = image_shape
    side = size[0] if len(size) == 2 and size[0] == size[1] else None
    if side == 28:
        return (DCGANGenerator(model.z_dim, model.g_channels, channels),
                DCGANDiscriminator(model.d_channels, channels, model.d_norm, model.d_outputs))
    if side in SIDES:
        return (PowerOfTwoGenerator(model.z_dim, model.g_channels, channels, side),
                PowerOfTwoDiscriminator(model.d_channels, channels, model.d_norm, model.d_outputs, side))
    raise ValueError(f"dcgan is built for square images of side 28, 32 or 64, got {tuple(image_shape)}")
