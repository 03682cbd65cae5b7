"""Adversarial losses, looked up by params `train.loss` (see ganpriors.registry).

A loss computes the discriminator's and the generator's objective from the step context: D's
heads of the real and fake batch (computed once per batch and shared with the regularisers), and
D itself where it needs more (WGAN-GP's gradient penalty).
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from ganpriors.nets.heads import d_heads


class AdversarialLoss:
    @classmethod
    def from_settings(cls, train_settings, rng: torch.Generator):
        """Build from params `train` (and a generator for any randomness the loss draws)."""
        return cls()

    def discriminator_loss(self, ctx) -> torch.Tensor:
        """From D(real) and D(fake) of the detached fakes (ctx.d_real, ctx.d_fake)."""
        return self.discriminator(ctx.d_real.logit, ctx.d_fake.logit)

    def generator_loss(self, ctx) -> torch.Tensor:
        """From D(fake) with gradients to G (ctx.d_fake_for_g)."""
        return self.generator(ctx.d_fake_for_g.logit)

    def discriminator(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def generator(self, fake_out: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def score(self, out: torch.Tensor) -> torch.Tensor:
        """What the training log shows for D's output: a probability for logit losses."""
        return torch.sigmoid(out)


class NonSaturatingLoss(AdversarialLoss):
    """The original GAN loss with the non-saturating generator objective (DCGAN)."""

    def discriminator(self, real_logits, fake_logits):
        return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))

    def generator(self, fake_logits):
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


class HingeLoss(AdversarialLoss):
    def discriminator(self, real_logits, fake_logits):
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()

    def generator(self, fake_logits):
        return -fake_logits.mean()


class WassersteinLoss(AdversarialLoss):
    """The WGAN objective: critic E[D(fake)] - E[D(real)], generator -E[D(fake)]. A critic with several
    outputs (MaEM-GAN's m-dimensional embedding) is averaged over them. Without a penalty the critic
    must be constrained otherwise (spectral norm: model.d_norm spectral)."""

    def discriminator(self, real_out, fake_out):
        return fake_out.mean() - real_out.mean()

    def generator(self, fake_out):
        return -fake_out.mean()

    def score(self, out):
        return out  # critic values are not probabilities


class WassersteinGPLoss(WassersteinLoss):
    """WGAN-GP (Gulrajani et al. 2017): the WGAN critic objective plus
    gp_weight * E[(||grad_x D(x_hat)||_2 - 1)^2] on random interpolates x_hat of real and fake, with
    D(x_hat) the critic value averaged over its outputs."""

    def __init__(self, gp_weight: float = 10.0, generator: torch.Generator | None = None):
        self.gp_weight = gp_weight
        self.rng = generator  # draws the interpolation weights; part of the run's resumable state

    @classmethod
    def from_settings(cls, train_settings, rng):
        return cls(train_settings.gp_weight, rng)

    def discriminator_loss(self, ctx):
        # D(real), D(fake), then D(x_hat): the order of D's forwards (spectral norm's power iteration
        # advances with each) and of the draws is part of what a run's results are.
        d_real, d_fake = ctx.d_real.logit, ctx.d_fake.logit
        real, fake = ctx.real, ctx.fake.detach()
        alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), generator=self.rng, device=real.device)
        x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        # the real batch's labels for its interpolates (a conditional critic draws fakes of those labels)
        critic = d_heads(ctx.discriminator, x_hat, ctx.y).logit.reshape(real.shape[0], -1).mean(1)  # one per sample
        grad, = torch.autograd.grad(critic.sum(), x_hat, create_graph=True)
        penalty = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
        return self.discriminator(d_real, d_fake) + self.gp_weight * penalty


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


class UNetLoss(AdversarialLoss):
    """U-Net GAN (Schönfeld et al. 2020), weighted as the official code: non-saturating BCE on the
    encoder's global logit and on the decoder's per-pixel logits (averaged over pixels and batch);
    D: 0.5 (real terms, global + per-pixel) + 0.5 (fake terms), G: 0.5 global + 0.5 per-pixel. The
    paper's sum L_enc + L_dec is twice this; the factor matters next to CutMix's terms (weight 1)."""

    def discriminator_loss(self, ctx):
        real, fake = ctx.d_real, ctx.d_fake
        return (0.5 * (_bce(real.logit, 1.0) + _bce(_pixels(real), 1.0))
                + 0.5 * (_bce(fake.logit, 0.0) + _bce(_pixels(fake), 0.0)))

    def generator_loss(self, ctx):
        fake = ctx.d_fake_for_g
        return 0.5 * _bce(fake.logit, 1.0) + 0.5 * _bce(_pixels(fake), 1.0)


def _pixels(heads) -> torch.Tensor:
    if heads.pixel_logits is None:
        raise ValueError("loss unet reads D's per-pixel head (pixel_logits), which this discriminator lacks")
    return heads.pixel_logits
