"""ADC-GAN's auxiliary discriminative classifier (Hou et al., ICML 2022): a linear head on D's
pooled features over 2K classes, "real class y" at index 2y and "fake class y" at 2y + 1 (the
interleaved layout of the official code and StudioGAN), trained with D (its parameters join D's
optimiser):
  D: d_weight * [CE(C(x_real), 2y) + CE(C(G(z, y_f)), 2y_f + 1)]
  G: g_weight * [CE(C(G(z, y_f)), 2y_f) - CE(C(G(z, y_f)), 2y_f + 1)]
G pushes its samples towards "real y_f" and away from "fake y_f". Both G terms read one forward of
the head (the official code's second D pass computes the same logits). The head is spectrally
normalised, as the official `which_linear`.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

from ganpriors.regularisers.base import Regulariser, StepContext
from ganpriors.train.conditioning import run_classes
from ganpriors.train.context import DISCRIMINATOR


def real_index(y: torch.Tensor) -> torch.Tensor:
    return 2 * y


def fake_index(y: torch.Tensor) -> torch.Tensor:
    return 2 * y + 1


class AuxiliaryDiscriminativeClassifier(Regulariser):
    def __init__(self, options, *, run, prior, data, image_shape, device, seed):
        super().__init__(options)
        from ganpriors import registry

        features = registry.NETS.spec(run.model.net).feature_dim(run.model)
        self.head = spectral_norm(nn.Linear(features, 2 * run_classes(run))).to(device)
        self._last: dict[str, float] = {}

    def modules(self):
        return {"head": self.head}

    def parameters(self):
        return {DISCRIMINATOR: list(self.head.parameters())}

    def discriminator_term(self, ctx: StepContext) -> torch.Tensor:
        real = F.cross_entropy(self.head(ctx.d_real.features), real_index(ctx.y))
        fake = F.cross_entropy(self.head(ctx.d_fake.features), fake_index(ctx.y_fake))
        self._last["adc_d"] = float((real + fake).detach())
        return self.options.d_weight * (real + fake)

    def generator_term(self, ctx: StepContext) -> torch.Tensor:
        logits = self.head(ctx.d_fake_for_g.features)
        term = F.cross_entropy(logits, real_index(ctx.y_fake)) - F.cross_entropy(logits, fake_index(ctx.y_fake))
        self._last["adc_g"] = float(term.detach())
        return self.options.g_weight * term

    def stats(self) -> dict[str, float]:
        return {k: self._last.get(k, float("nan")) for k in ("adc_d", "adc_g")}
