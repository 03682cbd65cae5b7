"""NEMGAN's inversion network E: image -> (latent estimate E_z, mode logits E_c)."""
from __future__ import annotations

import torch
from torch import nn

from ganpriors.nets.dcgan import _init_dcgan


class InversionNet(nn.Module):
    """The DCGAN discriminator's conv body for 28 x 28 images, a shared hidden layer, two heads.

    No batch norm: E is trained on fake batches but also applied to real batches (NEMGAN-P's prior
    update, the supervision batch) and to the test split in eval mode. With batch statistics its
    outputs would depend on which batch an image comes in, and the train-mode statistics of fakes
    would not match those of real images; without normalisation E is one per-image function, and
    two stride-2 convolutions train well without it.
    """

    def __init__(self, z_dim: int, modes: int, channels: int, in_channels: int = 1):
        super().__init__()
        c = channels
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, c, 4, 2, 1),  # 14 x 14
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c, 2 * c, 4, 2, 1),  # 7 x 7
            nn.LeakyReLU(0.2, True),
            nn.Flatten(),
            nn.Linear(2 * c * 49, 8 * c),
            nn.LeakyReLU(0.2, True),
        )
        self.z_head = nn.Linear(8 * c, z_dim)
        self.mode_head = nn.Linear(8 * c, modes)
        self.apply(_init_dcgan)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: float images in [-1, 1], N x C x 28 x 28 -> (z_hat N x z_dim, mode logits N x modes)."""
        h = self.body(x)
        return self.z_head(h), self.mode_head(h)
