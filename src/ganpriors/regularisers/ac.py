"""AC-GAN's auxiliary classifier (Odena et al., ICML 2017): a linear head on D's pooled features over
the K classes, trained with D (its parameters join D's optimiser) on real and generated images:
  D: d_weight * [CE(C(x_real), y) + CE(C(G(z, y_f)), y_f)]
  G: g_weight * CE(C(G(z, y_f)), y_f)
The survey's comparison for ADC-GAN (ganpriors.regularisers.adc), whose head tells real class y
from fake class y instead: AC-GAN's classifier rewards G for samples that are easy to classify,
which is the tendency towards low intra-class diversity ADC-GAN was proposed to remove. The head
is spectrally normalised, as ADC-GAN's.
"""
from __future__ import annotations

from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

from ganpriors.regularisers.base import Regulariser, StepContext
from ganpriors.train.conditioning import run_classes
from ganpriors.train.context import DISCRIMINATOR


class AuxiliaryClassifier(Regulariser):
    def __init__(self, options, *, run, prior, data, image_shape, device, seed):
        super().__init__(options)
        from ganpriors import registry

        features = registry.NETS.spec(run.model.net).feature_dim(run.model)
        self.head = spectral_norm(nn.Linear(features, run_classes(run))).to(device)
        self._last: dict[str, float] = {}

    def modules(self):
        return {"head": self.head}

    def parameters(self):
        return {DISCRIMINATOR: list(self.head.parameters())}

    def discriminator_term(self, ctx: StepContext):
        real = F.cross_entropy(self.head(ctx.d_real.features), ctx.y)
        fake = F.cross_entropy(self.head(ctx.d_fake.features), ctx.y_fake)
        self._last["ac_d"] = float((real + fake).detach())
        return self.options.d_weight * (real + fake)

    def generator_term(self, ctx: StepContext):
        term = F.cross_entropy(self.head(ctx.d_fake_for_g.features), ctx.y_fake)
        self._last["ac_g"] = float(term.detach())
        return self.options.g_weight * term

    def stats(self) -> dict[str, float]:
        return {k: self._last.get(k, float("nan")) for k in ("ac_d", "ac_g")}
