"""The exponential moving average of G's weights as the exported (evaluated) generator, chosen
from params (BigGAN keeps one; ganpriors.train.hooks.GeneratorEMA does the averaging).

The average also covers G's buffers: batch-norm running statistics are averaged like the weights
(and spectral norm's power-iteration vectors), integer counters copied. Those averaged statistics
are not the statistics of the averaged weights (see the BigGAN pitfalls of
reference/SURVEY_SYSTEMS.md), so by default (`bn_stats: standing`) the exported generator gets
standing statistics instead: a copy of G with the averaged weights runs in training mode over
`standing_batches` batches of the run's prior (and uniform labels or instance features for a
conditional G) with
cumulative averaging (momentum None), as BigGAN's accumulate_standing_stats. In training mode
spectral norm also refits its power-iteration vectors to the averaged weights on those batches.
The draws come from a generator seeded by the run's seed, so the export is reproducible.
`bn_stats: average` exports the plain average (BigGAN-PyTorch's and StudioGAN's EMA).
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from ganpriors.nets.heads import generate
from ganpriors.regularisers.base import Regulariser, StepContext
from ganpriors.train.conditioning import fake_conditioning
from ganpriors.train.hooks import GeneratorEMA
from ganpriors.train.rngs import stream_seed

STREAM = "ema_standing_stats"


@torch.no_grad()
def standing_statistics(generator: nn.Module, weights: dict, draw, batches: int) -> dict:
    """G's state with `weights` and batch-norm statistics re-accumulated over `batches` batches of
    draw() -> (z, y): each running mean (var) is the mean of the batches' means (unbiased vars)."""
    g = copy.deepcopy(generator)
    g.load_state_dict(weights)
    norms = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    g.train()
    for _ in range(batches):
        generate(g, *draw())
    return {k: v.detach().clone() for k, v in g.state_dict().items()}


class GeneratorAverage(Regulariser, GeneratorEMA):
    def __init__(self, options, *, run, prior, data, image_shape, device, seed):
        Regulariser.__init__(self, options)
        GeneratorEMA.__init__(self, options.decay)
        self.prior, self.device, self.seed = prior, torch.device(device), seed
        self.z_dim, self.batch_size = run.model.z_dim, run.train.batch_size
        self.conditioning = fake_conditioning(run, data)  # uniform labels or instance features; None: unconditional

    @torch.no_grad()
    def after_g_step(self, ctx: StepContext) -> None:
        if ctx.step < self.options.start:
            self.average = None  # until `start`, the average restarts from G's weights (BigGAN's ema_start)
        GeneratorEMA.after_g_step(self, ctx)

    def _draw(self, rng: torch.Generator):
        z = self.prior.sample(self.batch_size, self.z_dim, rng, self.device)
        return z, self.conditioning(self.batch_size, rng, self.device)

    def export_generator(self, generator):
        if self.average is None:
            return None
        if self.options.bn_stats == "average":
            return "ema", {k: v.clone() for k, v in self.average.items()}
        rng = torch.Generator(device=self.device).manual_seed(stream_seed(STREAM, self.seed))
        weights = standing_statistics(generator, self.average, lambda: self._draw(rng), self.options.standing_batches)
        return "ema-standing-stats", weights

