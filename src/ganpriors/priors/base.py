"""The prior interface: sample(n, dim, generator) -> z, a per-dimension density, and state.

Fixed priors (Singh et al.) are i.i.d. per dimension and have a density. Learned priors (gene
banks, mapped normals, mode mixtures) are not: they set `iid_per_dimension = False`, hold
torch parameters, and are trained by the training loop (see `trainable_parameters`).
"""
from __future__ import annotations

import math

import torch


class Prior:
    """An i.i.d.-per-dimension latent distribution. Subclasses set `spec` and implement the rest."""

    needs_fit = False
    # False for priors whose coordinates are not i.i.d. (learned banks, mode mixtures): fit-prior
    # then records `describe()` instead of the per-dimension mid-point KL.
    iid_per_dimension = True

    def __init__(self, spec, state: dict | None = None):
        self.spec = spec

    def sample(self, n: int, dim: int, generator: torch.Generator | None = None,
               device: torch.device | str = "cpu") -> torch.Tensor:
        raise NotImplementedError

    def sample_with_info(self, n: int, dim: int, generator: torch.Generator | None = None,
                         device: torch.device | str = "cpu") -> tuple[torch.Tensor, dict]:
        """z and what was drawn to make it (e.g. gene variants, mode indices), for regularisers
        and probes. Fixed priors have nothing beyond z."""
        return self.sample(n, dim, generator, device), {}

    def build(self, dim: int) -> None:
        """Create learnable parameters for `dim`-dimensional latents (from torch's global RNG, which
        the training loop seeds); a no-op for fixed priors and for priors restored from a state."""

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        """Parameters trained jointly with the generator by the generator's loss (gene banks, a
        mapping network). Parameters with their own update rule (NEMGAN's mode logits) are not
        listed here; their regulariser updates them."""
        return []

    def to(self, device: torch.device | str) -> "Prior":
        return self

    def train(self, mode: bool = True) -> "Prior":
        return self

    def describe(self) -> dict:
        """Numbers that characterise a non-i.i.d. prior: parameter count, distinct latents, ..."""
        return {}

    def log_density(self, x: torch.Tensor) -> torch.Tensor:
        """Per-dimension log density at x (float64)."""
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        """A bounded interval that holds all but a negligible mass (for grids and plots)."""
        raise NotImplementedError

    def bounds(self) -> tuple[float, float] | None:
        """The interval every coordinate lies in, where the prior has one (uniform, truncated); None
        for unbounded priors (support() is then only a range for grids). LOGAN clips to it."""
        return None

    def state(self) -> dict[str, torch.Tensor]:
        """Tensors that define a fitted or trained prior (empty for parametric families).
        Passed back as `state` to the constructor to restore it."""
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
