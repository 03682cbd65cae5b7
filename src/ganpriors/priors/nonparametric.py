"""The non-parametric prior of Singh et al. (ICML 2019).

A pmf p on `bins` equally spaced points of [low, high], fitted to minimise KL(p || p_mid), where
p_mid is the law of the mid-point of two independent draws, subject to a floor on the variance
(in bin-index units, divided by the number of bins); without the floor the optimum is a delta.
Solved with a softmax parameterisation, autograd and an augmented Lagrangian on the floor,
starting from a truncated Cauchy shape (see fit()).
Sampling picks a bin with probability p and adds uniform jitter of one bin width.
"""
from __future__ import annotations

import math

import torch

from ganpriors.errors import GanpriorsError
from ganpriors.priors.base import Prior
from ganpriors.priors.kl import index_variance, midpoint_kl


class NonParametricPrior(Prior):
    needs_fit = True

    def __init__(self, spec, state: dict | None = None):
        super().__init__(spec)
        self.pmf: torch.Tensor | None = None
        if state:
            pmf = state.get("pmf")
            if pmf is None or pmf.shape != (spec.bins,) or not torch.isfinite(pmf).all() or (pmf < 0).any():
                raise GanpriorsError(
                    f"non-parametric prior file does not hold a valid pmf of {spec.bins} bins; rerun fit-prior"
                )
            self._set_pmf(pmf.to(torch.float64))

    # -- fitted state --------------------------------------------------------------------------
    def _set_pmf(self, pmf: torch.Tensor) -> None:
        self.pmf = pmf / pmf.sum()
        self._cdf = torch.cumsum(self.pmf, 0).to(torch.float32)
        self._cdf[-1] = 1.0
        self._cache: dict = {}

    def state(self):
        return {"pmf": self._require()}

    def _require(self) -> torch.Tensor:
        if self.pmf is None:
            raise GanpriorsError("the non-parametric prior is not fitted; run `ganpriors fit-prior` first")
        return self.pmf

    @property
    def width(self) -> float:
        return (self.spec.high - self.spec.low) / (self.spec.bins - 1)

    def centers(self) -> torch.Tensor:
        return torch.linspace(self.spec.low, self.spec.high, self.spec.bins, dtype=torch.float64)

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self) -> dict:
        s = self.spec
        n = s.bins
        torch.manual_seed(s.fit.seed)
        # Start from a discretised Cauchy (a stable law: zero mid-point KL without truncation) whose
        # scale puts the variance 20% above the floor; from a Gaussian start, Adam stalls near 0.03.
        idx = torch.arange(n, dtype=torch.float64)
        centred = idx - (n - 1) / 2

        def cauchy_logits(gamma: float) -> torch.Tensor:
            return -torch.log1p((centred / gamma) ** 2)

        lo, hi = 1e-3, float(n)
        for _ in range(60):
            mid = (lo + hi) / 2
            if index_variance(torch.softmax(cauchy_logits(mid), 0)) / n < 1.2 * s.variance_floor:
                lo = mid
            else:
                hi = mid
        logits = cauchy_logits(hi) + 1e-3 * torch.randn(n, dtype=torch.float64)
        logits.requires_grad_(True)
        opt = torch.optim.Adam([logits], lr=s.fit.lr)
        target = s.variance_floor * (1 + 1e-4)  # a hair above the floor so the result meets it
        multiplier, rho = 0.0, 10.0
        for step in range(s.fit.steps):
            p = torch.softmax(logits, 0)
            kl = midpoint_kl(p)
            # Constraint g <= 0, augmented Lagrangian for inequalities.
            g = 1.0 - index_variance(p) / n / target
            shifted = torch.clamp(multiplier / rho + g, min=0.0)
            loss = kl + 0.5 * rho * shifted ** 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            if (step + 1) % 100 == 0:
                with torch.no_grad():
                    g_now = 1.0 - index_variance(torch.softmax(logits, 0)) / n / target
                multiplier = max(0.0, multiplier + rho * float(g_now))
        with torch.no_grad():
            p = torch.softmax(logits, 0)
            # Any residual violation is repaired by mixing in a little of the uniform pmf, which
            # only raises the variance; the mixing weight is the smallest that meets the floor.
            if index_variance(p) / n < s.variance_floor:
                uniform = torch.full_like(p, 1.0 / n)
                lo, hi = 0.0, 1.0
                for _ in range(60):
                    mid = (lo + hi) / 2
                    if index_variance((1 - mid) * p + mid * uniform) / n >= s.variance_floor:
                        hi = mid
                    else:
                        lo = mid
                p = (1 - hi) * p + hi * uniform
        self._set_pmf(p.detach())
        return self.summary()

    def summary(self) -> dict:
        p = self._require()
        n = self.spec.bins
        return {
            "midpoint_kl": float(midpoint_kl(p)),
            "index_variance_over_bins": float(index_variance(p) / n),
            "variance_floor": self.spec.variance_floor,
            # float64 rounding of the renormalised pmf may land 1 ulp under the floor it was mixed to meet
            "floor_met": bool(index_variance(p) / n >= self.spec.variance_floor * (1 - 1e-12)),
            "std": self.std(),
        }

    # -- prior interface ----------------------------------------------------------------------
    def sample(self, n, dim, generator=None, device="cpu"):
        key = str(device)
        if key not in self._cache:
            self._cache[key] = (self._cdf.to(device), self.centers().to(torch.float32).to(device))
        cdf, centers = self._cache[key]
        u = torch.rand(n * dim, generator=generator, device=device)
        jitter = torch.rand(n * dim, generator=generator, device=device)
        idx = torch.searchsorted(cdf, u).clamp_(max=self.spec.bins - 1)
        return (centers[idx] + (jitter - 0.5) * self.width).view(n, dim)

    def log_density(self, x):
        p = self._require()
        i = torch.round((x - self.spec.low) / self.width)
        inside = (i >= 0) & (i <= self.spec.bins - 1) & ((x - self.spec.low).abs() <= (self.spec.high - self.spec.low) + self.width / 2)
        vals = p[i.clamp(0, self.spec.bins - 1).long()] / self.width
        return torch.where(inside & (vals > 0), torch.log(vals.clamp_min(1e-300)), torch.full_like(x, -math.inf))

    def support(self):
        return self.spec.low - self.width / 2, self.spec.high + self.width / 2

    def bounds(self):
        return self.support()

    def std(self) -> float:
        p = self._require()
        c = self.centers()
        mean = (p * c).sum()
        # Jitter of one bin width adds width^2 / 12.
        return math.sqrt(float((p * (c - mean) ** 2).sum()) + self.width ** 2 / 12)
