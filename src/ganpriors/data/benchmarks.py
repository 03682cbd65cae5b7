"""Training data of the mode-coverage benchmarks (see ganpriors.data.specs).

Both are drawn afresh for every batch from the run's data generator, as in the literature: the
2-D mixtures have no finite training set, and stacked Fashion-MNIST combines three independent
training images (60,000^3 combinations). The generator's state is the whole resumable state.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ganpriors.data.datasets import load_split, to_unit_range
from ganpriors.metrics.mode_coverage import mixture_centers, sample_mixture


class Sampler:
    """A batch source without state of its own (the data generator holds it)."""

    def __init__(self, draw, batch_size: int, rng: torch.Generator):
        self.draw, self.batch_size, self.rng = draw, batch_size, rng

    def next(self) -> torch.Tensor:
        return self.draw(self.batch_size, self.rng)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class MixtureData:
    """Equal-weight isotropic Gaussians in 2-D (gaussian_ring, gaussian_grid)."""

    def __init__(self, spec, data_path: Path | None, device):
        self.spec, self.device = spec, torch.device(device)
        self.centers = mixture_centers(spec)
        self.shape = spec.shape
        self.images = None  # no image set: supervised regularisers cannot use this data

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        # drawn on the CPU so that the points do not depend on the training device
        return sample_mixture(self.centers, self.spec.std, n, rng).to(self.device)

    def batches(self, batch_size: int, rng: torch.Generator) -> Sampler:
        return Sampler(self.sample, batch_size, rng)


class StackedData:
    """`channels` independent Fashion-MNIST training images as the channels of one image: 10^channels
    modes (class tuples), equally likely."""

    def __init__(self, spec, data_path: Path, device):
        self.spec, self.device = spec, torch.device(device)
        self.base = to_unit_range(load_split(data_path, "train").images).to(self.device)  # N x 1 x 28 x 28
        self.shape = spec.shape
        self.images = None

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        idx = torch.randint(len(self.base), (n, self.spec.channels), generator=rng)
        return self.base[idx.to(self.device)].squeeze(2)  # n x channels x 28 x 28

    def batches(self, batch_size: int, rng: torch.Generator) -> Sampler:
        return Sampler(self.sample, batch_size, rng)


def stack_images(images_uint8: torch.Tensor, labels: torch.Tensor, n: int, channels: int,
                 rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n stacked uint8 images from single-channel ones, with their per-channel labels (n x channels)."""
    idx = torch.randint(len(images_uint8), (n, channels), generator=rng)
    return images_uint8[idx].squeeze(2), labels[idx]
