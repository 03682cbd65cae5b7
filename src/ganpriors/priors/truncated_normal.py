"""The truncation trick of BigGAN (Brock et al. 2019) as a latent prior: N(0, 1) per dimension with
every coordinate whose magnitude exceeds `threshold` resampled until it does not (the paper's
procedure, not a clamp: clamping would pile mass onto +-threshold)."""
from __future__ import annotations

import math

import torch

from ganpriors.priors.base import Prior


class TruncatedNormalPrior(Prior):
    def sample(self, n, dim, generator=None, device="cpu"):
        t = self.spec.threshold
        z = torch.randn(n, dim, generator=generator, device=device)
        outside = z.abs() > t
        while outside.any():  # acceptance per draw is P(|z| <= t): 68% at t = 1, 4.8% at t = 0.06
            z[outside] = torch.randn(int(outside.sum()), generator=generator, device=device)
            outside = z.abs() > t
        return z

    def log_density(self, x):
        t = self.spec.threshold
        mass = math.erf(t / math.sqrt(2))  # P(|z| <= t) under N(0, 1)
        logp = -0.5 * x ** 2 - math.log(math.sqrt(2 * math.pi) * mass)
        return torch.where(x.abs() <= t, logp, torch.full_like(x, -math.inf))

    def support(self):
        return -self.spec.threshold, self.spec.threshold

    def bounds(self):
        return self.support()
