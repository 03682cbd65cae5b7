"""Mode-coverage metrics of the synthetic benchmarks (VEEGAN, PacGAN, Unrolled GAN protocols).

- 2-D mixtures (a ring of 8, a 5 x 5 grid of equal-weight isotropic Gaussians): a generated point
  is *high quality* when it lies within `quality_std` standard deviations of its nearest mode
  centre; a mode is *covered* when at least one high-quality point falls on it. We report the
  share of high-quality points and KL(histogram of high-quality points over modes || uniform).
- Stacked Fashion-MNIST: C independent images as the C channels, 10^C modes (class tuples).
  Each channel is labelled by the evaluation classifier; we count the distinct tuples seen and
  KL(tuple histogram || uniform).

A KL of 0 means every mode is used equally often; dropping modes or favouring a few raises it
(all mass on m of K equally used modes gives log(K / m)).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ganpriors.data.datasets import to_unit_range


def _ring_centers(spec) -> torch.Tensor:
    """K centres at equal angles on the circle of radius `spec.radius`, the first on the +x axis."""
    k = torch.arange(spec.modes, dtype=torch.float64)
    angle = 2 * math.pi * k / spec.modes
    return (spec.radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)).float()


def _grid_centers(spec) -> torch.Tensor:
    """side x side lattice centred on the origin, row-major: mode i * side + j sits at (x_j, y_i)."""
    offsets = (torch.arange(spec.side, dtype=torch.float64) - (spec.side - 1) / 2) * spec.spacing
    y, x = torch.meshgrid(offsets, offsets, indexing="ij")   # y varies with row i, x with column j
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1).float()


CENTER_LAYOUTS: dict[str, Callable[[object], torch.Tensor]] = {
    "gaussian_ring": _ring_centers,
    "gaussian_grid": _grid_centers,
}


def mixture_centers(spec) -> torch.Tensor:
    """The K x 2 (float32) mode centres of a 2-D mixture spec, in mode order (the histogram's order)."""
    try:
        layout = CENTER_LAYOUTS[spec.kind]
    except KeyError:
        raise ValueError(f"no mixture centres for dataset kind {spec.kind!r}; "
                         f"known: {sorted(CENTER_LAYOUTS)}") from None
    return layout(spec)


def sample_mixture(centers: torch.Tensor, std: float, n: int, generator: torch.Generator,
                   device: str | torch.device = "cpu") -> torch.Tensor:
    """n points from the equal-weight mixture of isotropic Gaussians N(centre, std^2 I).

    Every random draw goes through `generator` (on the generator's own device, then moved to
    `device`), so the same generator state gives the same batch: the training loop draws its real
    batches with it and stays reproducible.
    """
    centers = centers.detach().to(generator.device, torch.float32)
    component = torch.randint(len(centers), (n,), generator=generator, device=generator.device)
    noise = torch.randn(n, centers.shape[1], generator=generator, device=generator.device)
    return (centers[component] + std * noise).to(device)


def kl_to_uniform(counts) -> float | None:
    """KL(p || uniform over the K bins) = sum_{p > 0} p log(p K), p = counts / counts.sum().

    Empty bins contribute nothing (0 log 0 = 0); None when there is nothing to normalise
    (no counts at all), rather than a misleading 0 or NaN.
    """
    counts = torch.as_tensor(counts, dtype=torch.float64).reshape(-1)
    total = counts.sum().item()
    if total <= 0:
        return None
    p = counts[counts > 0] / total
    return float((p * torch.log(p * counts.numel())).sum())


def nearest_modes(points: torch.Tensor, centers: torch.Tensor,
                  chunk: int = 65536) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance to the nearest centre, its index) for every point, via torch.cdist in chunks.

    Chunking keeps the N x K distance matrix small whatever N is. Non-finite points get an infinite
    distance (and index 0) so they never pass a quality threshold.
    """
    points = points.detach().to(torch.float64).reshape(len(points), -1)
    centers = centers.detach().to(points.device, torch.float64)
    dist = torch.full((len(points),), math.inf, dtype=torch.float64, device=points.device)
    index = torch.zeros(len(points), dtype=torch.long, device=points.device)
    for start in range(0, len(points), chunk):
        block = points[start:start + chunk]
        finite = torch.isfinite(block).all(dim=1)
        if not finite.any():
            continue
        d, i = torch.cdist(block[finite], centers).min(dim=1)
        rows = torch.nonzero(finite).squeeze(1) + start
        dist[rows], index[rows] = d, i
    return dist, index


def mixture_coverage(points: torch.Tensor, centers: torch.Tensor, std: float, quality_std: float) -> dict:
    """Score generated 2-D points against the mixture's modes (the VEEGAN / PacGAN protocol).

    Returns n, n_modes, modes_covered (modes with >= 1 high-quality point), high_quality_share,
    kl_to_uniform (of the high-quality histogram; None when no point is high quality) and
    histogram (high-quality points per mode, in centre order).
    """
    n_modes = len(centers)
    dist, index = nearest_modes(points, centers)
    good = dist <= quality_std * std
    histogram = torch.bincount(index[good].cpu(), minlength=n_modes)
    n = len(points)
    return {
        "n": n,
        "n_modes": n_modes,
        "modes_covered": int((histogram > 0).sum()),
        "high_quality_share": float(good.sum()) / n if n else 0.0,
        "kl_to_uniform": kl_to_uniform(histogram),
        "histogram": [int(c) for c in histogram],
    }


def mode_ids(channel_labels: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """Mode index of each class tuple, first channel most significant: (a, b, c) -> 100 a + 10 b + c."""
    labels = channel_labels.long()
    ids = torch.zeros(len(labels), dtype=torch.long, device=labels.device)
    for c in range(labels.shape[1]):
        ids = ids * n_classes + labels[:, c]
    return ids


def histogram_coverage(ids: torch.Tensor, n_modes: int) -> dict:
    """Coverage of discrete modes: n, n_modes, modes_covered, kl_to_uniform, histogram (length n_modes)."""
    ids = torch.as_tensor(ids).long().reshape(-1).cpu()
    if len(ids) and (ids.min() < 0 or ids.max() >= n_modes):
        raise ValueError(f"mode ids must lie in [0, {n_modes}); got [{int(ids.min())}, {int(ids.max())}]")
    histogram = torch.bincount(ids, minlength=n_modes)
    return {
        "n": len(ids),
        "n_modes": n_modes,
        "modes_covered": int((histogram > 0).sum()),
        "kl_to_uniform": kl_to_uniform(histogram),
        "histogram": [int(c) for c in histogram],
    }


@torch.no_grad()
def channel_labels(classifier: torch.nn.Module, images_uint8: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Classify each channel of uint8 N x C x 28 x 28 stacked images on its own -> LongTensor N x C.

    The evaluation classifier sees 1 x 28 x 28 images in [-1, 1]; each channel is an independent
    Fashion-MNIST image, so the N x C channels go through it as N * C single-channel images.
    """
    classifier.eval()
    n, c = images_uint8.shape[:2]
    device = next(classifier.parameters(), torch.empty(0)).device
    flat = images_uint8.reshape(n * c, 1, *images_uint8.shape[2:])
    labels = torch.empty(n * c, dtype=torch.long)
    for start in range(0, n * c, batch_size):
        batch = to_unit_range(flat[start:start + batch_size].to(device))
        labels[start:start + len(batch)] = classifier(batch).argmax(dim=1).cpu()
    return labels.reshape(n, c)
