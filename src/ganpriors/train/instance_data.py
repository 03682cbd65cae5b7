"""IC-GAN's training data: real images drawn from the neighbourhoods of training instances.

A real batch draws, per sample, an instance uniformly from the M instances, then an image uniformly
from its k neighbours (ganpriors.data.neighbourhoods), from the run's 'data' stream. The batch's
conditioning `y` is the instance's feature h_i (B x d, L2-normalised): the step API carries it where
it carries a class-conditional run's labels, so D(real, y) is D(x_n, h_i) with no new code in the
step. `extras` holds the indices (instance, image) and the image's label, for hooks and tests.
The fakes' features are drawn by ganpriors.train.conditioning.FakeInstances from `bank`.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from ganpriors.data.datasets import load_split, to_unit_range
from ganpriors.data.neighbourhoods import (choose_instances, classifier_features, nearest_neighbours,
                                           neighbour_label_purity, normalised)
from ganpriors.data.views import apply_view
from ganpriors.train.batch import Batch


@dataclass
class InstanceData:
    images: torch.Tensor      # float in [-1, 1], N x 1 x 28 x 28, on the training device
    labels: torch.Tensor      # group labels of the run's view (for the neighbourhoods' purity, not for G or D)
    n_groups: int
    features: torch.Tensor    # N x d, L2-normalised, on the training device
    instances: torch.Tensor   # M indices into images, ascending (CPU)
    neighbours: torch.Tensor  # M x k indices into images, most similar first (CPU)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.images.shape[1:])

    @property
    def feature_dim(self) -> int:
        return self.features.shape[1]

    @property
    def bank(self) -> torch.Tensor:
        """The instances' features, M x d: what the fakes are conditioned on, and what sampling needs."""
        return self.features[self.instances.to(self.features.device)]

    def purity(self) -> float:
        return neighbour_label_purity(self.labels.cpu(), self.instances, self.neighbours)

    def batches(self, batch_size: int, rng: torch.Generator) -> "NeighbourhoodBatches":
        return NeighbourhoodBatches(self, batch_size, rng)


class NeighbourhoodBatches:
    """Batch(x_n, y=h_i) with i ~ U(instances), n ~ U(NN_k(i)); all randomness from `rng` (the run's
    'data' stream, saved with the run's streams), so the source itself has no state to save."""

    def __init__(self, data: InstanceData, batch_size: int, rng: torch.Generator):
        self.data, self.bs, self.rng = data, batch_size, rng

    def next(self) -> Batch:
        d = self.data
        slot = torch.randint(len(d.instances), (self.bs,), generator=self.rng)
        image = d.neighbours[slot, torch.randint(d.neighbours.shape[1], (self.bs,), generator=self.rng)]
        instance = d.instances[slot]
        on = d.images.device
        return Batch(d.images[image.to(on)], d.features[instance.to(on)],
                     extras={"instance": instance, "image": image, "labels": d.labels[image.to(d.labels.device)]})

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def instance_data(images: torch.Tensor, labels: torch.Tensor, n_groups: int, raw_features: torch.Tensor,
                  settings, seed: int, device) -> InstanceData:
    """From images in [-1, 1] and their (unnormalised) features: normalise, choose the instances,
    search their neighbourhoods (on the CPU: the neighbourhoods do not depend on the device)."""
    features = normalised(raw_features.float().cpu())
    instances = choose_instances(len(features), settings.count, seed)
    neighbours = nearest_neighbours(features, instances, settings.k)
    return InstanceData(images.to(device), labels.to(device), n_groups, features.to(device), instances, neighbours)


def load_instance_data(data_path: Path, run, device, seed: int) -> InstanceData:
    """The run's training images (under its view), their features under the pinned classifier the
    run names (checked by SHA-256: the train stage reads the package's copy, not the classifier
    stage's file), the instances and their neighbourhoods."""
    from ganpriors.metrics.classifier import load_classifier, verified_pinned

    source, _ = verified_pinned(run.instances.classifier, f"runs.{run.name}.instances.classifier")
    split = load_split(data_path, "train")
    viewed = apply_view(split.images, split.labels, run.view)
    features = classifier_features(load_classifier(source), viewed.images)
    data = instance_data(to_unit_range(viewed.images), viewed.labels, viewed.n_groups, features, run.instances,
                         seed, device)
    print(f"train {run.name}: {len(data.instances):,} instances, k = {run.instances.k}, neighbour label purity "
          f"{data.purity():.3f}", file=sys.stderr)
    return data
