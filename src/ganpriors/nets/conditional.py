"""The class-conditional ResNet nets at 32 x 32 on 28 x 28 data: SAGAN (Zhang et al. 2019) and
BigGAN (Brock et al. 2019) in miniature, with one projection discriminator (Miyato & Koyama 2018).

G: linear to 4c x 4 x 4 -> up-blocks 4c -> 4c (8 x 8) -> 2c (16 x 16) -> c (32 x 32) -> BN-ReLU-
conv3 -> tanh, centre-cropped to the data's size. D: the data padded to 32 x 32 -> down-blocks
1 -> c (16) -> 2c (8) -> 2c (4) -> ReLU -> sum over positions = phi(x) -> logit psi(phi) +
<embed(y), phi>. Self-attention follows the block whose output has a side in `model.attention`.
The nets differ in what conditions G's batch norms (`conditioning`): SAGAN a per-class gain and
bias; BigGAN a shared class embedding concatenated with a chunk of z per block (hierarchical z).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ganpriors.nets.blocks import ConditionalBatchNorm, DownBlock, SelfAttention, UpBlock, sn
from ganpriors.nets.heads import DOut
from ganpriors.nets.resolution import centre_crop, pad_to

SIZE = 32


def _zeros_embedding(n: int, dim: int) -> nn.Embedding:
    e = nn.Embedding(n, dim)
    nn.init.zeros_(e.weight)
    return e


class ResNetGenerator(nn.Module):
    """The shared body; subclasses say how z and y become the first layer's input and each block's
    batch-norm conditioning (`conditioning`)."""

    widths = (4, 4, 2, 1)  # x channels at 4, 8, 16, 32

    def __init__(self, z_in: int, channels: int, out_channels: int, out_size: tuple[int, int],
                 attention, cbn, init):
        super().__init__()
        w = [m * channels for m in self.widths]
        self.first_channels, self.out_size = w[0], out_size
        self.linear = sn(nn.Linear(z_in, w[0] * 4 * 4), init)
        self.blocks = nn.ModuleList(UpBlock(a, b, cbn, init) for a, b in zip(w[:-1], w[1:]))
        sides = [8 * 2 ** i for i in range(len(self.blocks))]
        self.attention = nn.ModuleDict({str(s): SelfAttention(c, init) for s, c in zip(sides, w[1:]) if s in attention})
        self.out_bn = nn.BatchNorm2d(w[-1])
        self.out_conv = sn(nn.Conv2d(w[-1], out_channels, 3, 1, 1), init)

    def conditioning(self, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, list]:
        raise NotImplementedError

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("a class-conditional generator needs labels y")
        first, per_block = self.conditioning(z, y)
        h = self.linear(first).view(z.shape[0], self.first_channels, 4, 4)
        for block, c in zip(self.blocks, per_block):
            h = block(h, c)
            if str(h.shape[-1]) in self.attention:
                h = self.attention[str(h.shape[-1])](h)
        x = torch.tanh(self.out_conv(F.relu(self.out_bn(h))))
        return centre_crop(x, *self.out_size)


class SAGANGenerator(ResNetGenerator):
    """z into the first layer only; each conditional batch norm has its own per-class gain and bias
    (embeddings initialised to 0: plain batch norm at the start, as SAGAN's gain-1/bias-0 init)."""

    def __init__(self, z_dim, channels, out_channels, out_size, n_classes, attention):
        def cbn(c):
            return ConditionalBatchNorm(c, _zeros_embedding(n_classes, c), _zeros_embedding(n_classes, c))

        super().__init__(z_dim, channels, out_channels, out_size, attention, cbn, nn.init.xavier_uniform_)

    def conditioning(self, z, y):
        return z, [y] * len(self.blocks)


class BigGANGenerator(ResNetGenerator):
    """Hierarchical z: z splits into len(blocks) + 1 equal chunks, chunk 0 into the first layer and
    chunk i with the shared class embedding into block i's batch norms (SN linear maps, no bias, as
    BigGAN-PyTorch). Without `hierarchical` (the paper's ablation) the whole z enters the first
    layer and the batch norms see the shared embedding alone. The shared embedding is a plain
    nn.Embedding (BigGAN-PyTorch: SN on it "seems to randomly cripple G") and is exempt from the
    orthogonal regulariser."""

    orthogonal_exempt = ("shared.",)  # parameter-name prefixes (ganpriors.regularisers.orthogonal)

    def __init__(self, z_dim, channels, out_channels, out_size, n_classes, attention, shared_dim,
                 hierarchical: bool = True):
        slots = len(self.widths)
        if hierarchical and z_dim % slots:
            raise ValueError(f"z_dim {z_dim} must be a multiple of {slots} (one chunk per slot)")
        chunk, init = (z_dim // slots if hierarchical else 0), nn.init.orthogonal_
        linear = lambda c: sn(nn.Linear(shared_dim + chunk, c, bias=False), init)  # noqa: E731
        cbn = lambda c: ConditionalBatchNorm(c, linear(c), linear(c))  # noqa: E731
        super().__init__(chunk if hierarchical else z_dim, channels, out_channels, out_size, attention, cbn, init)
        self.chunk, self.hierarchical = chunk, hierarchical
        self.shared = self.shared_map(n_classes, shared_dim, init)

    @staticmethod
    def shared_map(n_classes: int, shared_dim: int, init) -> nn.Module:
        """What maps the conditioning to the vector every block's batch norms share: a class embedding."""
        shared = nn.Embedding(n_classes, shared_dim)
        init(shared.weight)
        return shared

    def conditioning(self, z, y):
        e = self.shared(y)
        if not self.hierarchical:
            return z, [e] * len(self.blocks)
        chunks = z.split(self.chunk, dim=1)
        return chunks[0], [torch.cat([e, c], dim=1) for c in chunks[1:]]


class ProjectionDiscriminator(nn.Module):
    """logit = psi(phi(x)) + <embed(y), phi(x)> (Miyato & Koyama's projection; without `projection`
    just psi(phi(x)), the unconditional adversarial head of ADC-GAN's official code). The
    `features` head is phi(x), the pooled B x 2c features."""

    def __init__(self, channels, in_channels, n_classes, attention, projection=True, init=None):
        super().__init__()
        c = channels
        widths = [in_channels, c, 2 * c, 2 * c]  # at 32, 16, 8, 4
        self.blocks = nn.ModuleList(DownBlock(a, b, first=i == 0, init=init)
                                    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])))
        sides = [SIZE // 2 ** (i + 1) for i in range(len(self.blocks))]
        self.attention = nn.ModuleDict({str(s): SelfAttention(w, init)
                                        for s, w in zip(sides, widths[1:]) if s in attention})
        self.psi = sn(nn.Linear(widths[-1], 1), init)
        self.embed = self.projection_map(n_classes, widths[-1], init) if projection else None

    @staticmethod
    def projection_map(n_classes: int, width: int, init) -> nn.Module:
        """y -> the vector projected on phi(x): a class embedding."""
        return sn(nn.Embedding(n_classes, width), init)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DOut:
        h = pad_to(x, SIZE)
        for block in self.blocks:
            h = block(h)
            if str(h.shape[-1]) in self.attention:
                h = self.attention[str(h.shape[-1])](h)
        phi = F.relu(h).sum(dim=(2, 3))
        logit = self.psi(phi).view(-1)
        if self.embed is not None:
            if y is None:
                raise ValueError("a projection discriminator needs labels y")
            logit = logit + (self.embed(y) * phi).sum(dim=1)
        return DOut(logit=logit, features=phi)


def _shape(image_shape) -> tuple[int, tuple[int, int]]:
    channels, *size = image_shape
    if len(size) != 2 or max(size) > SIZE:
        raise ValueError(f"the conditional ResNet nets are built for images of at most {SIZE} x {SIZE}, "
                         f"got {image_shape}")
    return channels, tuple(size)


def build_sagan(model, image_shape, n_classes: int):
    channels, size = _shape(image_shape)
    g = SAGANGenerator(model.z_dim, model.g_channels, channels, size, n_classes, model.attention)
    d = ProjectionDiscriminator(model.d_channels, channels, n_classes, model.attention, model.d_projection,
                                nn.init.xavier_uniform_)
    return g, d


def build_biggan(model, image_shape, n_classes: int):
    channels, size = _shape(image_shape)
    g = BigGANGenerator(model.z_dim, model.g_channels, channels, size, n_classes, model.attention, model.shared_dim,
                        model.hierarchical)
    d = ProjectionDiscriminator(model.d_channels, channels, n_classes, model.attention, model.d_projection,
                                nn.init.orthogonal_)
    return g, d
