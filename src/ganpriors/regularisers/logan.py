"""LOGAN (Wu et al. 2019): latent optimisation. Before G's latents are used, each z takes natural-
gradient steps towards a higher score f(z) = D(G(z)):

    g = df/dz (per sample),  dz = alpha * g / (beta + |g|^2),  z' = clip(z + dz)

(the damped empirical Fisher g g^T + beta I inverted by Sherman-Morrison), clipped to the prior's
bounds where it has them (U(-1, 1) in the paper; a Normal has none: no clipping). Both updates of
the step train on z' (the D update on G(z'), and the G update on the same G(z')), and G's loss adds
weight * E|z' - z|^2. dz is not detached: g is taken with create_graph, so G's gradient also flows
through the latent step (the second-order terms the paper credits), as in the official CS-GAN code.

Choices (see docs/survey-unconditional.md):
- The element mask: each step updates a random subset of z's *elements*, each with probability
  `mask_probability`, drawn afresh per sample and step (the paper optimises "50% of z's elements";
  StudioGAN masks whole samples). g and |g|^2 are those of the updated elements: the step is the
  natural gradient over the coordinates being optimised.
- `steps` steps, each from the previous z (StudioGAN returns after the first whatever it is asked).
- The latent step runs a copy of D with D's current weights and buffers, in D's mode (training, as
  in the official code: batch statistics, and spectral norm's sigma after one power iteration from
  D's current vectors). The copy keeps the latent step's forwards off D itself: D's power
  iteration and running statistics advance only with the forwards the loss shares (StepContext),
  and dz's graph, which G's update backpropagates through after D's in-place update, holds the
  weights D had when z' was made.
- D's update treats z' as data (the loop's D terms read detached fakes), so the |dz|^2 cost acts on
  G only (CS-GAN adds it to G's loss only; its gradient with respect to D would need dz's path
  through D, which the D update does not take).
- No latent optimisation at sampling: evaluation draws from the prior (TrainedModel.sample).
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn

from ganpriors.nets.heads import d_heads, generate
from ganpriors.regularisers.base import Regulariser, StepContext

STREAM = "logan"  # the run's named random stream of the element masks (saved with the run's state)


def natural_gradient_step(grad: torch.Tensor, alpha: float, beta: float) -> torch.Tensor:
    """alpha * g / (beta + |g|^2) per sample (rows of grad)."""
    return alpha * grad / (beta + grad.pow(2).sum(dim=1, keepdim=True))


class LatentOptimisation(Regulariser):
    def __init__(self, options, *, prior, **context):
        super().__init__(options)
        self.bounds = prior.bounds()
        self._critic: nn.Module | None = None
        self._z = self._dz = None
        self._values: dict[str, torch.Tensor] = {}

    def _critic_copy(self, discriminator: nn.Module) -> nn.Module:
        """A copy of D at D's current weights and buffers, in D's mode, without gradients of its own."""
        if self._critic is None:
            self._critic = copy.deepcopy(discriminator)
            for p in self._critic.parameters():
                p.requires_grad_(False)
                p.grad = None
        else:
            self._critic.load_state_dict(discriminator.state_dict())
        return self._critic.train(discriminator.training)

    def score(self, critic: nn.Module, ctx: StepContext, z: torch.Tensor) -> torch.Tensor:
        """f(z) = D(G(z)) per sample (a critic with several outputs: their mean)."""
        return d_heads(critic, generate(ctx.generator, z, ctx.y_fake), ctx.y_fake).logit.reshape(len(z), -1).mean(1)

    def prepare_latents(self, z: torch.Tensor, ctx: StepContext) -> torch.Tensor:
        o = self.options
        critic = self._critic_copy(ctx.discriminator)
        rng = ctx.rngs.get(STREAM)
        start = z if z.requires_grad else z.detach().requires_grad_(True)
        current = start
        for _ in range(o.steps):
            grad, = torch.autograd.grad(self.score(critic, ctx, current).sum(), current, create_graph=True)
            mask = torch.rand(z.shape, generator=rng, device=z.device) < o.mask_probability
            current = current + natural_gradient_step(grad * mask.to(grad.dtype), o.alpha, o.beta)
            if self.bounds is not None:
                current = current.clamp(*self.bounds)
        self._z, self._dz = current, current - start
        self._values["logan_dz2"] = self._dz.detach().pow(2).sum(1).mean()
        return current

    def generator_term(self, ctx: StepContext) -> torch.Tensor:
        """weight * E|dz|^2 on the latents of G's update (those of the last critic batch)."""
        if ctx.z is not self._z:
            raise ValueError("regulariser logan: G's latents are not the ones it optimised; no hook after it "
                             "may replace the latents")
        return self.options.weight * self._dz.pow(2).sum(1).mean()

    def stats(self) -> dict[str, float]:
        """The last batch's mean |dz|^2, unweighted (NaN until computed)."""
        return {"logan_dz2": float(self._values["logan_dz2"]) if "logan_dz2" in self._values else math.nan}
