"""IC-GAN's instances and their neighbourhoods in a feature space (Casanova et al. 2021).

Features are L2-normalised (the official code divides every feature vector by its norm, before the
k-NN search and before feeding G and D), so that ranking by L2 distance is ranking by cosine
similarity. The neighbours of instance i are the k most similar training images other than i
itself: with i included, D would see (x_i, h_i) pairs and G could learn to copy. The search runs
over chunks of instances, so memory is chunk x N whatever the number of instances.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from ganpriors.data.datasets import to_unit_range
from ganpriors.train.rngs import stream_seed

INSTANCE_STREAM = "instance_set"  # the named stream that chooses the instances (ganpriors.train.rngs)
FEATURE_BATCH = 500  # images per classifier forward (fixed: the features' bits do not depend on it varying)


def normalised(features: torch.Tensor) -> torch.Tensor:
    """Each row divided by its L2 norm (a zero row stays zero)."""
    return F.normalize(features, dim=1, eps=1e-12)


@torch.no_grad()
def classifier_features(classifier, images_uint8: torch.Tensor, batch: int = FEATURE_BATCH) -> torch.Tensor:
    """The evaluation classifier's penultimate features (the FID's, ganpriors.metrics.features) of
    uint8 N x 1 x 28 x 28 images, float32 N x d on the CPU, not normalised."""
    classifier.eval()
    out = [classifier.features_and_logits(to_unit_range(images_uint8[i:i + batch]))[0]
           for i in range(0, len(images_uint8), batch)]
    return torch.cat(out).float().cpu()


def choose_instances(n_images: int, count: int | None, seed: int) -> torch.Tensor:
    """Indices of the M instances among n_images, ascending: all of them (count None, the paper's
    M = N), else the first `count` of a permutation drawn from the run's stream 'instance_set'."""
    if count is None:
        return torch.arange(n_images)
    if count > n_images:
        raise ValueError(f"{count} instances of {n_images} images")
    g = torch.Generator().manual_seed(stream_seed(INSTANCE_STREAM, seed))
    return torch.randperm(n_images, generator=g)[:count].sort().values


@torch.no_grad()
def nearest_neighbours(features: torch.Tensor, instances: torch.Tensor, k: int, chunk: int = 256) -> torch.Tensor:
    """M x k indices into `features` (N x d, L2-normalised): for each instance, the k rows of highest
    cosine similarity other than the instance's own, most similar first. Computed in float64 over
    chunks of `chunk` instances (memory chunk x N)."""
    n = len(features)
    if not 1 <= k <= n - 1:
        raise ValueError(f"k = {k} neighbours among {n} images (the instance excluded)")
    bank = features.double()
    out = []
    for start in range(0, len(instances), chunk):
        rows = instances[start:start + chunk]
        sim = bank[rows] @ bank.T                        # chunk x N cosine similarities
        sim[torch.arange(len(rows)), rows] = -torch.inf  # never the instance itself
        out.append(sim.topk(k, dim=1).indices)
    return torch.cat(out) if out else torch.empty(0, k, dtype=torch.long)


def neighbour_label_purity(labels: torch.Tensor, instances: torch.Tensor, neighbours: torch.Tensor) -> float:
    """Share of neighbours with their instance's label (the official code logs it per k)."""
    return (labels[neighbours] == labels[instances][:, None]).double().mean().item()
