"""The prior interface: sample(n, dim, generator) -> z, a per-dimension density, and state."""
from __future__ import annotations

import math

import torch


class Prior:
    """An i.i.d.-per-dimension latent distribution. Subclasses set `spec` and implement the rest."""

    needs_fit = False

    def __init__(self, spec, state: dict | None = None):
        self.spec = spec

    def sample(self, n: int, dim: int, generator: torch.Generator | None = None,
               device: torch.device | str = "cpu") -> torch.Tensor:
        raise NotImplementedError

    def log_density(self, x: torch.Tensor) -> torch.Tensor:
        """Per-dimension log density at x (float64)."""
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        """A bounded interval that holds all but a negligible mass (for grids and plots)."""
        raise NotImplementedError

    def state(self) -> dict[str, torch.Tensor]:
        """Tensors that define a fitted prior (empty for parametric families)."""
        return {}

    def fit(self) -> dict:
        return {}

    def grid_pmf(self, low: float, high: float, bins: int) -> torch.Tensor:
        """Discretise the density onto `bins` equally spaced points of [low, high] (renormalised)."""
        x = torch.linspace(low, high, bins, dtype=torch.float64)
        p = self.log_density(x).exp()
        total = p.sum()
        if not torch.isfinite(total) or total <= 0:
            raise ValueError(f"{self.spec.kind} prior has no mass on [{low}, {high}]")
        return p / total

    def std(self) -> float:
        """Standard deviation per dimension, from a fine grid over the support (inf-safe for Cauchy)."""
        low, high = self.support()
        x = torch.linspace(low, high, 1 << 16, dtype=torch.float64)
        p = self.grid_pmf(low, high, 1 << 16)
        mean = (p * x).sum()
        return math.sqrt(float((p * (x - mean) ** 2).sum()))
