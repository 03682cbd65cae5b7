"""Parametric latent priors of Singh et al. (2019): Uniform, Normal, Gamma, Cauchy."""
from __future__ import annotations

import math

import torch

from ganpriors.priors.base import Prior


class NormalPrior(Prior):
    def sample(self, n, dim, generator=None, device="cpu"):
        z = torch.randn(n, dim, generator=generator, device=device)
        return z.mul_(self.spec.scale).add_(self.spec.loc)

    def log_density(self, x):
        s = self.spec
        return -0.5 * ((x - s.loc) / s.scale) ** 2 - math.log(s.scale * math.sqrt(2 * math.pi))

    def support(self):
        return self.spec.loc - 10 * self.spec.scale, self.spec.loc + 10 * self.spec.scale


class UniformPrior(Prior):
    def sample(self, n, dim, generator=None, device="cpu"):
        z = torch.rand(n, dim, generator=generator, device=device)
        return z.mul_(self.spec.high - self.spec.low).add_(self.spec.low)

    def log_density(self, x):
        s = self.spec
        inside = (x >= s.low) & (x <= s.high)
        return torch.where(inside, torch.full_like(x, -math.log(s.high - s.low)), torch.full_like(x, -math.inf))

    def support(self):
        return self.spec.low, self.spec.high

    def bounds(self):
        return self.support()


def standard_gamma(shape: float, size: tuple, generator=None, device="cpu") -> torch.Tensor:
    """Gamma(shape, 1) by Marsaglia-Tsang, drawing only from `generator` (reproducible)."""
    boost = shape < 1.0
    a = shape + 1.0 if boost else shape
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    n = math.prod(size)
    out = torch.empty(n, device=device)
    filled = 0
    while filled < n:
        m = int((n - filled) * 1.1) + 16  # acceptance rate is > 0.95 for a >= 1
        x = torch.randn(m, generator=generator, device=device)
        u = torch.rand(m, generator=generator, device=device)
        v = (1.0 + c * x) ** 3
        ok = (v > 0) & (torch.log(u) < 0.5 * x * x + d - d * v + d * torch.log(v.clamp_min(1e-30)))
        accepted = (d * v)[ok][: n - filled]
        out[filled: filled + accepted.numel()] = accepted
        filled += accepted.numel()
    if boost:
        out.mul_(torch.rand(n, generator=generator, device=device).pow_(1.0 / shape))
    return out.view(size)


class GammaPrior(Prior):
    """Gamma(shape, scale) per dimension; with `symmetric`, a random sign makes it zero-centred."""

    def sample(self, n, dim, generator=None, device="cpu"):
        z = standard_gamma(self.spec.shape, (n, dim), generator, device).mul_(self.spec.scale)
        if self.spec.symmetric:
            sign = torch.rand(n, dim, generator=generator, device=device) < 0.5
            z = torch.where(sign, -z, z)
        return z

    def log_density(self, x):
        k, theta = self.spec.shape, self.spec.scale
        r = x.abs() if self.spec.symmetric else x
        logp = (k - 1) * torch.log(r.clamp_min(1e-300)) - r / theta - math.lgamma(k) - k * math.log(theta)
        logp = torch.where(r > 0, logp, torch.full_like(x, -math.inf) if k > 1 else logp)
        if self.spec.symmetric:
            logp = logp - math.log(2.0)
        else:
            logp = torch.where(x >= 0, logp, torch.full_like(x, -math.inf))
        return logp

    def support(self):
        k, theta = self.spec.shape, self.spec.scale
        upper = theta * (k + 12 * math.sqrt(k) + 40)
        return (-upper if self.spec.symmetric else 0.0), upper


class CauchyPrior(Prior):
    def sample(self, n, dim, generator=None, device="cpu"):
        u = torch.rand(n, dim, generator=generator, device=device, dtype=torch.float64)
        z = torch.tan(math.pi * (u - 0.5)).to(torch.float32)
        return z.mul_(self.spec.scale).add_(self.spec.loc)

    def log_density(self, x):
        s = self.spec
        return -torch.log(math.pi * s.scale * (1 + ((x - s.loc) / s.scale) ** 2))

    def support(self):
        # Heavy tails: 2 / (pi * 2000) = 0.03% of the mass lies outside.
        return self.spec.loc - 2000 * self.spec.scale, self.spec.loc + 2000 * self.spec.scale
