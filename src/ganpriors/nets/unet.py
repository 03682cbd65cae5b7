"""U-Net GAN's nets (Schönfeld et al. 2020), small, at 32 x 32 on 28 x 28 data (nets.resolution).

D is a U-Net: a BigGAN-style encoder of residual down-blocks (32 -> 16 -> 8 -> 4) ending in a
global logit (ReLU, sum-pool, linear), and a decoder of residual up-blocks (4 -> 8 -> 16 -> 32)
that concatenates the encoder's features of each resolution (skip connections) and ends in one
logit per pixel (`pixel_logits`). D pads its input to 32 x 32 with the background value and crops
the per-pixel map back to the input's size: the padded border is the same constant in real and
generated images, so its logits would carry no signal, and the per-pixel loss and CutMix's masks
then live on the data's own pixels. G is an unconditional BigGAN-like ResNet generator (linear to
4 x 4, three residual up-blocks with batch norm, tanh) drawing 32 x 32 and centre-cropped to the
data size. Orthogonal initialisation, as the official code (--G_init ortho --D_init ortho);
spectral norm on every weight of D with model.d_norm spectral (the paper's), none otherwise.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ganpriors.nets.dcgan import spectral_normalise
from ganpriors.nets.heads import DOut
from ganpriors.nets.resolution import centre_crop, pad_to

SIZE = 32  # the nets' working resolution


def _init_orthogonal(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.orthogonal_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


class GeneratorBlock(nn.Module):
    """BigGAN's G block: BN-ReLU-up-conv3-BN-ReLU-conv3, plus up-conv1 on the shortcut."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, 1, 1)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        h = self.conv1(_up(F.relu(self.bn1(x))))
        return self.conv2(F.relu(self.bn2(h))) + self.skip(_up(x))


class DecoderBlock(nn.Module):
    """The U-Net decoder's up-block (BigGAN's G block without batch norm, as in the official D)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, 1, 1), nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        h = self.conv1(_up(F.relu(x)))
        return self.conv2(F.relu(h)) + self.skip(_up(x))


class EncoderBlock(nn.Module):
    """BigGAN's D block: (ReLU-)conv3-ReLU-conv3-avgpool, plus conv1-avgpool on the shortcut; the
    first block sees the image itself (no ReLU before it)."""

    def __init__(self, cin: int, cout: int, first: bool = False):
        super().__init__()
        self.first = first
        self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, 1, 1), nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        h = self.conv1(x if self.first else F.relu(x))
        return F.avg_pool2d(self.conv2(F.relu(h)), 2) + F.avg_pool2d(self.skip(x), 2)


class UNetGenerator(nn.Module):
    def __init__(self, z_dim: int, channels: int, out_shape: tuple[int, int, int]):
        super().__init__()
        c = channels
        self.z_dim, self.c, self.out_shape = z_dim, c, tuple(out_shape)
        self.linear = nn.Linear(z_dim, 4 * c * 4 * 4)
        self.blocks = nn.Sequential(GeneratorBlock(4 * c, 4 * c), GeneratorBlock(4 * c, 2 * c),  # 8, 16
                                    GeneratorBlock(2 * c, c))                                    # 32
        self.out = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, out_shape[0], 3, 1, 1), nn.Tanh())
        self.apply(_init_orthogonal)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Unconditional: labels, if given, are ignored."""
        h = self.linear(z).view(z.shape[0], 4 * self.c, 4, 4)
        return centre_crop(self.out(self.blocks(h)), *self.out_shape[1:])


class UNetDiscriminator(nn.Module):
    """Heads: `logit` (the encoder's global decision), `features` (the 4 x 4 bottleneck),
    `pixel_logits` (B x 1 x H x W, the decoder's per-pixel decision at the input's size)."""

    def __init__(self, channels: int, in_channels: int = 1, spectral: bool = True):
        super().__init__()
        c = channels
        self.encoder = nn.ModuleList([EncoderBlock(in_channels, c, first=True),  # 16
                                      EncoderBlock(c, 2 * c),                     # 8
                                      EncoderBlock(2 * c, 4 * c)])                # 4
        self.linear = nn.Linear(4 * c, 1)
        self.decoder = nn.ModuleList([DecoderBlock(4 * c, 2 * c),       # 8, then + the encoder's 8 x 8 (2c)
                                      DecoderBlock(4 * c, c),           # 16, then + the encoder's 16 x 16 (c)
                                      DecoderBlock(2 * c, c)])          # 32
        self.pixel = nn.Conv2d(c, 1, 1)
        self.apply(_init_orthogonal)
        if spectral:
            spectral_normalise(self)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DOut:
        """Unconditional: labels, if given, are ignored."""
        height, width = x.shape[-2:]
        skips, h = [], pad_to(x, SIZE)
        for block in self.encoder:
            h = block(h)
            skips.append(h)
        logit = self.linear(F.relu(h).sum(dim=(2, 3))).view(-1)
        d = self.decoder[0](h)
        for block, skip in zip(self.decoder[1:], reversed(skips[:-1])):
            d = block(torch.cat([d, skip], dim=1))
        pixels = centre_crop(self.pixel(F.relu(d)), height, width)
        return DOut(logit=logit, features=h, pixel_logits=pixels)


def build_unet(model, image_shape=(1, 28, 28)):
    if len(image_shape) != 3 or image_shape[1] > SIZE or image_shape[2] > SIZE:
        raise ValueError(f"unet is built for images of at most {SIZE} x {SIZE}, got {image_shape}")
    return (UNetGenerator(model.z_dim, model.g_channels, tuple(image_shape)),
            UNetDiscriminator(model.d_channels, image_shape[0], spectral=model.d_norm == "spectral"))
