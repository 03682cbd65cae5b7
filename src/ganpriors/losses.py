"""Adversarial losses, looked up by params `train.loss` (see ganpriors.registry).

Each loss maps discriminator outputs to (discriminator loss, generator loss) terms.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F


class NonSaturatingLoss:
    """The original GAN loss with the non-saturating generator objective (DCGAN)."""

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))

    def generator(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


class HingeLoss:
    def discriminator(self, real_logits, fake_logits):
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()

    def generator(self, fake_logits):
        return -fake_logits.mean()
