"""WGAN's weight clipping (Arjovsky et al. 2017, Algorithm 1): after every critic update each of the
critic's parameters is clamped to [-clip, clip], a crude bound on its Lipschitz constant.

A hook, not part of the `wgan` loss: the clamp acts on D's weights after its optimiser step (the
after_d_step seam), not on a loss value, and the `wgan` loss without clipping is what the MaEM-GAN
runs train with (a spectral-norm critic). The paper's order is kept: the generator update sees the
clipped critic (the authors' code clamps before each critic forward instead, so G sees the weights
of the last update unclipped). Every parameter of D is clipped (biases and normalisation gains too,
as in the authors' code); parameters a hook trains with D are not D's and are left alone.
"""
from __future__ import annotations

import torch

from ganpriors.regularisers.base import Regulariser, StepContext


class WeightClip(Regulariser):
    def __init__(self, options, **context):
        super().__init__(options)

    @torch.no_grad()
    def after_d_step(self, ctx: StepContext) -> None:
        for p in ctx.discriminator.parameters():
            p.clamp_(-self.options.clip, self.options.clip)
