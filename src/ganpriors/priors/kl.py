"""KL divergence between a prior and the law of its interpolation mid-points, on a grid.

For i.i.d. X1, X2 with pmf p on an equally spaced grid, (X1 + X2)/2 lives on the half-step grid;
its pmf is the self-convolution of p (length 2N-1). Keeping every other element puts it back on
p's grid (Singh et al. 2019). Works on float64 tensors and is differentiable (used for fitting).
"""
from __future__ import annotations

import torch


def self_convolve(p: torch.Tensor) -> torch.Tensor:
    n = p.shape[-1]
    size = 2 * n - 1
    fft_len = 1 << (size - 1).bit_length()
    spec = torch.fft.rfft(p, n=fft_len)
    return torch.fft.irfft(spec * spec, n=fft_len)[..., :size].clamp_min(0.0)


def midpoint_pmf(p: torch.Tensor) -> torch.Tensor:
    q = self_convolve(p)[..., ::2]
    return q / q.sum(-1, keepdim=True)


def kl_divergence(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-300) -> torch.Tensor:
    mask = p > 0
    return torch.where(mask, p * (torch.log(p.clamp_min(eps)) - torch.log(q.clamp_min(eps))), torch.zeros_like(p)).sum(-1)


def midpoint_kl(p: torch.Tensor) -> torch.Tensor:
    """KL(p || p_mid) for a pmf p on an equally spaced grid."""
    return kl_divergence(p, midpoint_pmf(p))


def index_variance(p: torch.Tensor) -> torch.Tensor:
    """Variance of the bin index under p (the units of the paper's variance floor)."""
    idx = torch.arange(p.shape[-1], dtype=p.dtype)
    mean = (p * idx).sum(-1, keepdim=True)
    return (p * (idx - mean) ** 2).sum(-1)


def prior_midpoint_kl(prior, bins: int = 1 << 16, low: float | None = None, high: float | None = None) -> float:
    """KL(prior || prior_mid) on a grid over [low, high] (default: the prior's own support)."""
    lo, hi = prior.support()
    p = prior.grid_pmf(lo if low is None else low, hi if high is None else high, bins)
    return float(midpoint_kl(p))
