"""DLLE (MaEM-GAN, Liu et al., AAAI 2023): local linearity of the discriminator's embedding.

A small perturbation F (random rotation plus Gaussian noise) moves a sample along the data manifold;
the discriminator step adds weight * E ||D(F(x)) - D(x)||^2 on real and generated samples, so that
the m-dimensional embedding changes little along such moves and stays locally linear there.

Rotation convention: a positive angle turns the content counter-clockwise as plotted. For images
(B x C x H x W, row 0 drawn at the top) a rotation by +90 degrees is torch.rot90(x, 1, dims=(2, 3));
for points (B x 2, y axis up) it is the matrix [[cos, -sin], [sin, cos]] about the origin.
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from ganpriors.nets.heads import d_heads
from ganpriors.regularisers.base import Regulariser, StepContext

_SALT = 0x646C6C65  # "dlle": keeps this stream apart from the training loop's seed-derived ones
BACKGROUND = -1.0   # image value outside the frame: the [-1, 1] scale's black


def rotate(x: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate each sample by its angle (B, degrees, counter-clockwise as plotted): points about the
    origin, images about their centre (bilinear, pixels from outside the frame set to BACKGROUND)."""
    radians = degrees.to(x.dtype) * (math.pi / 180)
    cos, sin = radians.cos(), radians.sin()
    if x.dim() == 2 and x.shape[1] == 2:
        return torch.stack([cos * x[:, 0] - sin * x[:, 1], sin * x[:, 0] + cos * x[:, 1]], dim=1)
    if x.dim() != 4:
        raise ValueError(f"rotate expects points (B x 2) or images (B x C x H x W), got {tuple(x.shape)}")
    h, w = x.shape[-2:]
    # affine_grid maps each output location to the input location it samples, in coordinates
    # normalised to [-1, 1] per axis; the h/w factors keep the rotation rigid on non-square images.
    theta = torch.stack([torch.stack([cos, -sin * (h / w), torch.zeros_like(cos)], dim=1),
                         torch.stack([sin * (w / h), cos, torch.zeros_like(cos)], dim=1)], dim=1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Zero padding of x - BACKGROUND fills the corners that come from outside the frame with BACKGROUND.
    shifted = x - BACKGROUND
    return F.grid_sample(shifted, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + BACKGROUND


def perturb(x: torch.Tensor, max_angle: float, noise_std: float, generator: torch.Generator) -> torch.Tensor:
    """F(x) = rotate(x, theta) + noise_std * N(0, I), theta ~ U(-max_angle, max_angle) degrees per
    sample. Both draws are always made, so the stream advances the same whatever the settings."""
    angles = (torch.rand(x.shape[0], generator=generator, device=x.device, dtype=x.dtype) * 2 - 1) * max_angle
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return rotate(x, angles) + noise_std * noise


class LocalLinearity(Regulariser):
    def __init__(self, options, *, run, prior, data, image_shape, device, seed):
        super().__init__(options)
        self.rng = torch.Generator(device=torch.device(device)).manual_seed(_SALT + seed)
        self._values: dict[str, torch.Tensor] = {}  # kept on the device: no sync per step

    def discriminator_term(self, ctx: StepContext) -> torch.Tensor:
        """weight * the mean over both batches of ||D(F(x)) - D(x)||^2; gradients reach D through
        both embeddings (the samples themselves are constants here). D(x) is the step's (shared
        with the loss); only the perturbed samples go through D here, with their samples' labels."""
        per_batch = []
        for x, heads, y in ((ctx.real, ctx.d_real, ctx.y), (ctx.fake.detach(), ctx.d_fake, ctx.y_fake)):
            moved = perturb(x, self.options.max_angle, self.options.noise_std, self.rng)
            embedding = heads.code().reshape(x.shape[0], -1)
            moved_embedding = d_heads(ctx.discriminator, moved, y).code().reshape(x.shape[0], -1)
            per_batch.append((moved_embedding - embedding).pow(2).sum(dim=1).mean())
        loss = (per_batch[0] + per_batch[1]) / 2
        self._values["dlle_loss"] = loss.detach()
        return self.options.weight * loss

    def stats(self) -> dict[str, float]:
        """The last unweighted mean squared embedding change (NaN until computed)."""
        return {"dlle_loss": float(self._values["dlle_loss"]) if "dlle_loss" in self._values else math.nan}

    def state_dict(self) -> dict:
        return {"rng": self.rng.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.rng.set_state(state["rng"])
