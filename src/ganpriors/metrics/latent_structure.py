"""How class information is laid out in a latent: discrete codes per latent unit, plug-in mutual
information with the class, and p(code | class) tables for conditional sampling (StyleGenes).

A unit is a gene of a gene bank, a k-means-discretised chunk of a continuous latent, or a single
quantile-binned coordinate. Plug-in estimates are biased upwards by about
(codes - 1)(classes - 1) / (2 n) nats, so compare units with similar code counts and sample sizes.
"""
from __future__ import annotations

import torch
from sklearn.cluster import KMeans


def entropy(labels: torch.Tensor, n: int) -> float:
    """Plug-in entropy (nats) of integer labels in 0..n-1 (larger labels widen the histogram)."""
    counts = torch.bincount(labels.flatten().cpu(), minlength=n).double()
    p = counts[counts > 0] / counts.sum()
    return float((p * p.reciprocal().log()).sum())  # a sum of non-negative terms: never -0.0


def mutual_information(codes: torch.Tensor, labels: torch.Tensor) -> float:
    """Plug-in I(code; label) in nats from the joint histogram: H(code) + H(label) - H(code, label)."""
    codes, labels = codes.cpu(), labels.cpu()
    joint = codes * (int(labels.max()) + 1) + labels
    mi = entropy(codes, 0) + entropy(labels, 0) - entropy(joint, 0)
    return max(mi, 0.0)  # rounding can make an exact zero slightly negative


def class_information(codes: torch.Tensor, labels: torch.Tensor, n_classes: int) -> list[float]:
    """Per unit u (column of codes), I(code_u; class) / H(class): the share of the class entropy
    that the unit alone carries (0: none, 1: the unit determines the class). All zero when the
    labels hold a single class, as no unit can carry information then."""
    h = entropy(labels, n_classes)
    if h == 0.0:
        return [0.0] * codes.shape[1]
    return [min(mutual_information(codes[:, u], labels) / h, 1.0) for u in range(codes.shape[1])]


def quantile_bins(x: torch.Tensor, bins: int) -> torch.Tensor:
    """Per coordinate, codes 0..bins-1 of equal-count bins (up to ties, which share a bin)."""
    levels = torch.linspace(0, 1, bins + 1, dtype=torch.float64, device=x.device)[1:-1]
    edges = torch.quantile(x.double(), levels, dim=0)  # (bins - 1) x D
    return torch.searchsorted(edges.T.contiguous(), x.double().T.contiguous(), right=True).T.contiguous()


def kmeans_chunks(x: torch.Tensor, chunks: int, clusters: int, seed: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Split the D coordinates into `chunks` equal slices and k-means each one: codes (n x chunks)
    and, per chunk, the cluster centers (clusters x D / chunks)."""
    dim = x.shape[1]
    if dim % chunks:
        raise ValueError(f"latent dimension {dim} is not divisible into {chunks} chunks")
    width = dim // chunks
    data = x.detach().cpu().double().numpy()
    codes, centers = [], []
    for c in range(chunks):
        km = KMeans(n_clusters=clusters, n_init=3, random_state=seed).fit(data[:, c * width:(c + 1) * width])
        codes.append(torch.from_numpy(km.labels_).long())
        centers.append(torch.from_numpy(km.cluster_centers_).float())
    return torch.stack(codes, 1), centers


def conditional_tables(codes: torch.Tensor, labels: torch.Tensor, n_codes: int, n_classes: int,
                       smoothing: float) -> torch.Tensor:
    """p(code | class) per unit (units x classes x codes) from add-`smoothing` counts. A class
    without samples (and no smoothing) gets the uniform distribution: there is no evidence."""
    units = codes.shape[1]
    unit = torch.arange(units, device=codes.device).expand_as(codes)
    flat = (unit * n_classes + labels[:, None]) * n_codes + codes
    counts = torch.bincount(flat.flatten(), minlength=units * n_classes * n_codes).double()
    counts = counts.view(units, n_classes, n_codes) + smoothing
    total = counts.sum(-1, keepdim=True)
    return torch.where(total > 0, counts / total.clamp_min(1e-300), torch.full_like(counts, 1.0 / n_codes))


def sample_codes(tables: torch.Tensor, cls: int, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """n code vectors (n x units) for class `cls`, each unit drawn independently from its table."""
    return torch.stack([torch.multinomial(t[cls], n, replacement=True, generator=generator) for t in tables], 1)
