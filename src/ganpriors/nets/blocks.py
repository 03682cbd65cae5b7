"""Building blocks of the class-conditional ResNet nets (SAGAN, BigGAN): spectrally normalised
layers, conditional batch norm, SAGAN's self-attention, and the up/down residual blocks (the
layouts of BigGAN-PyTorch's GBlock/DBlock, which SAGAN's official code shares)."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm


def sn(module: nn.Module, init=None) -> nn.Module:
    """`module` initialised by `init` (on its weight, before normalising), then spectrally normalised
    (one power iteration per training-mode forward, torch's default)."""
    if init is not None:
        init(module.weight)
    return spectral_norm(module)


class ConditionalBatchNorm(nn.Module):
    """Batch norm without its own affine parameters, then a gain and bias per sample computed from
    the conditioning c: out = BN(x) * (1 + gain(c)) + bias(c). The gain is centred at 1 (BigGAN's
    ccbn; compare_gan's BigGAN lacked the +1): with zero gain and bias weights this is plain BN.
    `gain` and `bias` map c to `channels` values (an embedding of the label, or a linear map)."""

    def __init__(self, channels: int, gain: nn.Module, bias: nn.Module):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain, self.bias = gain, bias

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.bn(x) * (1 + self.gain(c))[:, :, None, None] + self.bias(c)[:, :, None, None]


class SelfAttention(nn.Module):
    """SAGAN's self-attention in the official code's form (not the paper's equations): queries and
    keys of channels / 8, values of channels / 2, keys and values max-pooled 2 x 2 (N/4 of them);
    each of the N positions attends over the keys (softmax over the key axis); out = x + gamma * o
    with the scalar gamma initialised to 0, so the block is the identity at initialisation."""

    def __init__(self, channels: int, init=None):
        super().__init__()
        c = channels
        self.query = sn(nn.Conv2d(c, c // 8, 1, bias=False), init)
        self.key = sn(nn.Conv2d(c, c // 8, 1, bias=False), init)
        self.value = sn(nn.Conv2d(c, c // 2, 1, bias=False), init)
        self.out = sn(nn.Conv2d(c // 2, c, 1, bias=False), init)
        self.gamma = nn.Parameter(torch.zeros(()))

    def attention(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(weights B x N x N/4, values B x C/2 x N/4) for x of B x C x H x W (H, W even)."""
        q = self.query(x).flatten(2)                    # B x C/8 x N
        k = F.max_pool2d(self.key(x), 2).flatten(2)     # B x C/8 x N/4
        v = F.max_pool2d(self.value(x), 2).flatten(2)   # B x C/2 x N/4
        return torch.softmax(q.transpose(1, 2) @ k, dim=-1), v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        weights, v = self.attention(x)
        o = (v @ weights.transpose(1, 2)).view(b, c // 2, h, w)  # position n: sum_m weights[n, m] v[:, m]
        return x + self.gamma * self.out(o)


class UpBlock(nn.Module):
    """G's residual block: CBN-ReLU-upsample(nearest)-conv3-CBN-ReLU-conv3, plus upsample-conv1."""

    def __init__(self, c_in: int, c_out: int, cbn, init=None):
        super().__init__()
        self.bn1, self.bn2 = cbn(c_in), cbn(c_out)
        self.conv1 = sn(nn.Conv2d(c_in, c_out, 3, 1, 1), init)
        self.conv2 = sn(nn.Conv2d(c_out, c_out, 3, 1, 1), init)
        self.skip = sn(nn.Conv2d(c_in, c_out, 1), init)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, c)), scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h), c)))
        return h + self.skip(F.interpolate(x, scale_factor=2))


class DownBlock(nn.Module):
    """D's residual block: (ReLU)-conv3-ReLU-conv3-avgpool, plus a conv1 shortcut. The first block
    (`first`) sees the image: no ReLU before it, and its shortcut pools before the conv."""

    def __init__(self, c_in: int, c_out: int, first: bool = False, init=None):
        super().__init__()
        self.first = first
        self.conv1 = sn(nn.Conv2d(c_in, c_out, 3, 1, 1), init)
        self.conv2 = sn(nn.Conv2d(c_out, c_out, 3, 1, 1), init)
        self.skip = sn(nn.Conv2d(c_in, c_out, 1), init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(h))), 2)
        s = self.skip(F.avg_pool2d(x, 2)) if self.first else F.avg_pool2d(self.skip(x), 2)
        return h + s
