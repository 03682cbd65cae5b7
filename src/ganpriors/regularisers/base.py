"""Regularisers: hooks (ganpriors.train.hooks) built from a run's `regularisers:` settings.

Most add a term to D's loss (`discriminator_term`) or G's (`generator_term`), reading D's heads of
the batch from the step context instead of running D again (ctx.d_real, ctx.d_fake, and
ctx.d_fake_for_g in the generator update); they run D themselves only on inputs of their own
(rotated samples, mixtures). Networks of their own declare the net they train with (NEMGAN's
inversion network trains with G, through `optimizers()`), and `after_g_step` runs after G's update
(NEMGAN-P's prior update). A regulariser saves its modules, optimisers and random state through
`state_dict`, so that a resumed run continues bit for bit.
"""
from __future__ import annotations

from ganpriors.train.context import StepContext  # noqa: F401  (re-exported: what the hooks receive)
from ganpriors.train.hooks import Hook


class Regulariser(Hook):
    """Base class: every hook is optional. Constructed with the run's options for it and keyword
    context: run (ResolvedRun), prior, data (TrainingData), image_shape, device, seed."""

    def __init__(self, options, **context):
        self.options = options
