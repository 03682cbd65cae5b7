"""What the training data yields: Batch(x, y=None, extras), and the Fashion-MNIST batch source.

A dataset's `batches(batch_size, rng)` returns a source whose `next()` gives a Batch; a bare tensor
is taken as Batch(x) (the mode-coverage benchmarks, ganpriors.data.benchmarks).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganpriors import registry
from ganpriors.data.datasets import load_split, to_unit_range
from ganpriors.data.views import apply_view
from ganpriors.errors import GanpriorsError


@dataclass
class Batch:
    x: torch.Tensor                  # samples, float in [-1, 1]
    y: torch.Tensor | None = None    # their conditioning: labels, where the dataset has them; an IC-GAN
    #                                  run's instance features h (B x d, ganpriors.train.instance_data)
    extras: dict = field(default_factory=dict)  # anything else a dataset passes to the step's hooks

    def __len__(self) -> int:
        return self.x.shape[0]


def as_batch(item) -> Batch:
    return item if isinstance(item, Batch) else Batch(item)


@dataclass
class TrainingData:
    """Fashion-MNIST (under the run's view): a finite image set visited in shuffled passes. Other
    training data (mode-coverage benchmarks) live in ganpriors.data.benchmarks, same interface."""

    images: torch.Tensor  # float in [-1, 1], on the training device
    labels: torch.Tensor  # group labels of the run's view (batches carry them as y)
    n_groups: int

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.images.shape[1:])

    def batches(self, batch_size: int, rng: torch.Generator) -> "Batches":
        return Batches(self.images, batch_size, rng, self.labels)


def load_training_data(data_path: Path, run, device, seed: int | None = None):
    """The run's training data; an IC-GAN run's (instances and neighbourhoods) depend on its `seed`."""
    if run.dataset is not None:
        return registry.resolve(registry.DATASETS, run.dataset.kind)(run.dataset, data_path, device)
    split = load_split(data_path, "train")
    viewed = apply_view(split.images, split.labels, run.view)
    if run.train.batch_size > len(viewed.images):  # validation counted Fashion-MNIST's 6,000 per class
        under = " under the run's view" if run.view is not None else ""
        raise GanpriorsError(f"{data_path}: run {run.name}: train.batch_size {run.train.batch_size} is larger than "
                             f"the {len(viewed.images):,} training images{under}; lower it")
    if run.instances is not None:
        from ganpriors.train.instance_data import load_instance_data

        if seed is None:
            raise ValueError(f"run {run.name}: instance-conditional training data are chosen by the run's seed")
        return load_instance_data(data_path, run, device, seed)
    return TrainingData(to_unit_range(viewed.images).to(device), viewed.labels.to(device), viewed.n_groups)


class Batches:
    """Real batches (with their labels) in a seeded random order, reshuffled at each pass; resumable."""

    def __init__(self, images: torch.Tensor, batch_size: int, rng: torch.Generator,
                 labels: torch.Tensor | None = None):
        self.images, self.labels, self.bs, self.rng = images, labels, batch_size, rng
        self.order, self.pos = torch.randperm(len(images), generator=rng), 0

    def next(self) -> Batch:
        if self.pos + self.bs > len(self.order):
            self.order, self.pos = torch.randperm(len(self.images), generator=self.rng), 0
        idx = self.order[self.pos: self.pos + self.bs].to(self.images.device)
        self.pos += self.bs
        return Batch(self.images[idx], None if self.labels is None else self.labels[idx.to(self.labels.device)])

    def state_dict(self) -> dict:
        return {"order": self.order, "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        self.order, self.pos = state["order"], state["pos"]
