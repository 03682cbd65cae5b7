"""The hooks a regulariser gives the training loop.

The loop, per generator step: `n_critic` discriminator updates, each adding every regulariser's
`discriminator_term`; one generator update adding every `generator_term`, with the regulariser's
own `optimizers()` zeroed and stepped together with the generator's (e.g. NEMGAN's inversion
network is trained by the same mode-matching loss as G); then `after_step` (e.g. NEMGAN-P's
prior update). A regulariser owns its modules, optimizers and random state, and saves all of it
through `state_dict` so that a resumed run continues bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class StepContext:
    step: int                       # generator steps completed before this one
    real: torch.Tensor              # real batch, float in [-1, 1]
    z: torch.Tensor                 # latent batch
    info: dict                      # what the prior drew (prior.sample_with_info)
    fake: torch.Tensor              # G(z); differentiable in the generator step
    generator: nn.Module
    discriminator: nn.Module
    prior: object
    extra: dict = field(default_factory=dict)


class Regulariser:
    """Base class: every hook is optional. Constructed with the run's options for it and keyword
    context: run (ResolvedRun), prior, data (TrainingData), image_shape, device, seed."""

    def __init__(self, options, **context):
        self.options = options

    def modules(self) -> dict[str, nn.Module]:
        """Trained networks saved with the generator (key prefix aux.<name>.<module>.)."""
        return {}

    def optimizers(self) -> list[torch.optim.Optimizer]:
        """Optimizers zeroed and stepped together with the generator's."""
        return []

    def discriminator_term(self, ctx: StepContext) -> torch.Tensor | None:
        return None

    def generator_term(self, ctx: StepContext) -> torch.Tensor | None:
        return None

    def after_step(self, ctx: StepContext) -> None:
        pass

    def stats(self) -> dict[str, float]:
        """Values logged in train_log.csv at each log step (column names must be stable)."""
        return {}

    def state_dict(self) -> dict:
        """Everything needed to resume: modules, optimizers, random generators (torch.save-able
        with weights_only=True: tensors, numbers, strings, lists and dicts)."""
        return {name: m.state_dict() for name, m in self.modules().items()}

    def load_state_dict(self, state: dict) -> None:
        for name, m in self.modules().items():
            m.load_state_dict(state[name])

    def train(self, mode: bool = True) -> None:
        for m in self.modules().values():
            m.train(mode)
