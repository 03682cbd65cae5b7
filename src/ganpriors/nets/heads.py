"""The call protocol of both nets: G(z, y=None) -> samples, D(x, y=None) -> DOut (named heads).

Unconditional nets take y=None and ignore it; a class-conditional net (BigGAN's conditional batch
norm, a projection discriminator) reads it. Callers go through `generate` and `d_heads`, which also
accept nets that take no y (test doubles, plain nn.Sequential) and discriminators that return a
bare tensor (taken as the `logit` head), so a net adopts the protocol when it needs to.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class DOut:
    """D's outputs for one batch, by head. `logit` is the adversarial output the loss reads (B, or
    B x m for an embedding critic); the others exist when the net provides them."""

    logit: torch.Tensor
    features: torch.Tensor | None = None      # penultimate activations (ADC-GAN's classifier reads them)
    embedding: torch.Tensor | None = None     # MaEM-GAN's m-dimensional code (the critic's outputs themselves)
    class_logits: torch.Tensor | None = None  # an auxiliary classifier head
    pixel_logits: torch.Tensor | None = None  # U-Net GAN's per-pixel decision
    extras: dict[str, torch.Tensor] = field(default_factory=dict)  # heads of one net only

    def code(self) -> torch.Tensor:
        """What the embedding regularisers read: the embedding head, else the logit."""
        return self.embedding if self.embedding is not None else self.logit


def as_heads(out) -> DOut:
    """A discriminator's output as DOut: a bare tensor is the logit head."""
    return out if isinstance(out, DOut) else DOut(logit=out)


def d_heads(discriminator, x: torch.Tensor, y: torch.Tensor | None = None) -> DOut:
    """D(x, y) as named heads; y is passed only when there is one."""
    return as_heads(discriminator(x) if y is None else discriminator(x, y))


def generate(generator, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """G(z, y); y is passed only when there is one."""
    return generator(z) if y is None else generator(z, y)
