"""What one training step shows its loss and hooks: the batch, the latents, the fakes, and D's
heads of real and fake, each computed once per batch and shared by everyone who reads it.

Sharing matters beyond cost: with spectral norm every training-mode forward of D advances the power
iteration, so a regulariser that ran D again on the same batch would change D's normalisation as
well as the loss.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import nn

from ganpriors.nets.heads import DOut, d_heads

GENERATOR, DISCRIMINATOR = "generator", "discriminator"  # the nets a parameter or optimiser trains with


@dataclass
class StepContext:
    step: int                       # generator steps completed before this one
    real: torch.Tensor              # real batch, float in [-1, 1]
    z: torch.Tensor | None          # latent batch (a before-z hook may have replaced the prior's draw)
    info: dict                      # what the prior drew (prior.sample_with_info); "y": conditioning of the
    #                                 fakes (labels, or an IC-GAN run's instance features)
    fake: torch.Tensor | None       # G(z, y_fake); differentiable (terms of D detach it)
    generator: nn.Module
    discriminator: nn.Module
    prior: object
    y: torch.Tensor | None = None   # conditioning of the real batch: labels (None: the dataset has none), or
    #                                 an IC-GAN run's instance features h_i (ganpriors.train.instance_data)
    extras: dict = field(default_factory=dict)  # whatever else the dataset passed with the batch
    rngs: object = None             # the run's train.rngs.RngStreams: a hook's own stream is rngs.get(name)
    _heads: dict = field(init=False, default_factory=dict, repr=False)

    @property
    def y_fake(self) -> torch.Tensor | None:
        return self.info.get("y")

    def _cached(self, key: str, x: torch.Tensor, y: torch.Tensor | None) -> DOut:
        if key not in self._heads:
            self._heads[key] = d_heads(self.discriminator, x, y)
        return self._heads[key]

    @property
    def d_real(self) -> DOut:
        """D(real, y), with gradients to D."""
        return self._cached("real", self.real, self.y)

    @property
    def d_fake(self) -> DOut:
        """D(fake, y_fake) on the detached fakes: D's view for its own update (no gradient to G)."""
        return self._cached("fake", self.fake.detach(), self.y_fake)

    @property
    def d_fake_for_g(self) -> DOut:
        """D(fake, y_fake) with gradients through the fakes to G: the generator's loss and terms."""
        return self._cached("fake_for_g", self.fake, self.y_fake)

    def compute_heads(self) -> None:
        """D(real), then D(fake): the order of D's forwards is part of a run's results (spectral
        norm's power iteration advances with each), so it is fixed here, not by who reads first."""
        self.d_real, self.d_fake  # noqa: B018  (computed and cached by the properties)

    def for_generator_step(self) -> "StepContext":
        """The generator update on this batch, latents and fakes, with none of D's heads: D has
        been updated since they were computed, so they are stale (and their graphs hold D's old
        weights)."""
        return replace(self)
