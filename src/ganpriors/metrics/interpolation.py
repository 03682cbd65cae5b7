"""Latent interpolation: (1 - lambda) z1 + lambda z2, and strips through the origin."""
from __future__ import annotations

import torch


def interpolate(z1: torch.Tensor, z2: torch.Tensor, lam: float) -> torch.Tensor:
    return (1.0 - lam) * z1 + lam * z2


def midpoint(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    return interpolate(z1, z2, 0.5)


def strip_through_origin(z: torch.Tensor, steps: int) -> torch.Tensor:
    """From z to -z in `steps` points (the middle one is the origin): rows x steps x dim."""
    ts = torch.linspace(0.0, 1.0, steps, device=z.device)
    return torch.stack([interpolate(z, -z, float(t)) for t in ts], dim=1)
