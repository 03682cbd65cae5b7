"""Dataset views: which classes a run trains on, grouped how, in what proportions.

NEMGAN's experiments regroup Fashion-MNIST (five super-classes with true prior 0.3/0.1/0.3/0.2/0.1)
or subsample two classes to 80:20. A view maps original labels to group labels and, with
`proportions`, keeps the largest subset whose group shares are exactly those proportions (the
first images of a seeded permutation of each group). The same view applies to the test split, so
the FID reference and the clustering scores see the distribution the run was trained on.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ViewedSplit:
    images: torch.Tensor   # uint8 N x 1 x H x W
    labels: torch.Tensor   # int64 group labels 0..n_groups-1
    classes: torch.Tensor  # int64 original dataset labels
    n_groups: int


def group_of_class(groups: list[list[int]] | None, n_classes: int = 10) -> torch.Tensor:
    """Original label -> group index (-1 for classes outside the view)."""
    table = torch.full((n_classes,), -1, dtype=torch.long)
    for g, members in enumerate(groups if groups is not None else [[c] for c in range(n_classes)]):
        for c in members:
            table[c] = g
    return table


def apply_view(images: torch.Tensor, labels: torch.Tensor, view, n_classes: int = 10) -> ViewedSplit:
    """`view`: ViewSettings or None (every class its own group, all images)."""
    groups = view.groups if view is not None else None
    table = group_of_class(groups, n_classes)
    n_groups = int(table.max().item()) + 1
    group = table[labels]
    keep = group >= 0
    if view is not None and view.proportions is not None:
        counts = torch.bincount(group[keep], minlength=n_groups).double()
        props = torch.tensor(view.proportions, dtype=torch.float64)
        total = float((counts / props).min())  # largest N with N * p_g <= n_g for every group
        rng = torch.Generator().manual_seed(view.seed)
        keep = torch.zeros_like(keep)
        for g in range(n_groups):
            members = torch.nonzero(group == g).view(-1)
            take = int(round(total * float(props[g])))
            keep[members[torch.randperm(len(members), generator=rng)[:take]]] = True
    idx = torch.nonzero(keep).view(-1)  # original order, so batches mix groups
    return ViewedSplit(images[idx], group[idx], labels[idx], n_groups)


def true_prior(split: ViewedSplit) -> list[float]:
    """Share of each group in the (viewed) split: the mode prior a learned pi should approach."""
    counts = torch.bincount(split.labels, minlength=split.n_groups).double()
    return (counts / counts.sum()).tolist()
