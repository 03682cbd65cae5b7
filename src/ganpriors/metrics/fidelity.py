"""torch-fidelity's scores on feature sets, with the real side computed once per evaluation.

Every image set of a run (prior samples, each interpolation weight) is compared with the same real
features, and torch-fidelity recomputes the real side for each: precision/recall the real samples'
k-NN radii (a 10,000 x 10,000 distance matrix and its k-th values), KID the real-real kernel of
each of its 100 random subsets (the same subsets for every set: the subset indices come from one
seeded RandomState, drawn fake then real, and both sets have the same size). `RealReference`
computes those once. The arithmetic is torch-fidelity's own, operation for operation, so the
scores are bit-identical to `torch_fidelity.metric_{isc,fid,kid,prc}` (tests/test_fidelity.py
asserts it against the library).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

# torch-fidelity's defaults (torch_fidelity.defaults), which evaluation has always used.
KID_SUBSETS = 100
KID_DEGREE, KID_COEF0 = 3, 1
PRC_BATCH = 10000


def _cdist_part(a: torch.Tensor, b: torch.Tensor, batch: int = PRC_BATCH) -> torch.Tensor:
    return torch.cat([torch.cdist(a, part).cpu() for part in b.split(batch)], dim=1)


def knn_radii(features: torch.Tensor, neighborhood: int, batch: int = PRC_BATCH) -> torch.Tensor:
    """Distance of each sample to its `neighborhood`-th nearest neighbour within the set (itself
    excluded: the k+1-th smallest distance, 0 being its own)."""
    return torch.cat([_cdist_part(part, features, batch).kthvalue(neighborhood + 1).values
                      for part in features.split(batch)])


def _inside_any_ball(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, batch: int) -> float:
    inside = [(_cdist_part(part, centres, batch) <= radii).any(dim=1).float() for part in points.split(batch)]
    return torch.cat(inside).mean().item()


def _poly_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (np.matmul(x, y.T) * (1.0 / x.shape[1]) + KID_COEF0) ** KID_DEGREE


@dataclass
class RealReference:
    """Real-data features and what every comparison with them shares, computed on first use."""

    features: dict  # layer -> N x D tensor, as extracted
    fid_layer: str
    neighborhood: int
    kid_subset_size: int
    seed: int  # KID's subset RandomState seed
    _radii: torch.Tensor | None = field(default=None, repr=False)
    _kid_real: tuple | None = field(default=None, repr=False)
    _fid_statistics: dict | None = field(default=None, repr=False)

    @property
    def fid_features(self) -> torch.Tensor:
        return self.features[self.fid_layer]

    def fid_statistics(self) -> dict:
        if self._fid_statistics is None:
            from torch_fidelity.metric_fid import fid_features_to_statistics

            self._fid_statistics = fid_features_to_statistics(self.fid_features)
        return self._fid_statistics

    def radii(self) -> torch.Tensor:
        if self._radii is None:
            self._radii = knn_radii(self.fid_features, self.neighborhood)
        return self._radii

    def kid_real(self, n_fake: int) -> list:
        """Per KID subset: (fake indices, real indices, real-real kernel off-diagonal sum)."""
        if self._kid_real is None:
            real = self.fid_features.cpu().numpy()
            rng = np.random.RandomState(self.seed)
            subsets = []
            for _ in range(KID_SUBSETS):
                fake_idx = rng.choice(n_fake, self.kid_subset_size, replace=False)
                real_idx = rng.choice(len(real), self.kid_subset_size, replace=False)
                subset = real[real_idx]
                k_yy = _poly_kernel(subset, subset)  # one array twice, as torch-fidelity: NumPy's syrk path
                subsets.append((fake_idx, real_idx, (k_yy.sum(axis=1) - np.diagonal(k_yy)).sum()))
            self._kid_real = (n_fake, subsets)
        if self._kid_real[0] != n_fake:
            raise ValueError(f"KID subsets were drawn for {self._kid_real[0]} fake samples, not {n_fake}")
        return self._kid_real[1]


def precision_recall(fake: torch.Tensor, reference: RealReference, batch: int = PRC_BATCH) -> tuple[float, float]:
    """Kynkäänniemi et al.'s improved precision and recall (torch-fidelity's save_cpu_ram path)."""
    real = reference.fid_features
    recall = _inside_any_ball(real, fake, knn_radii(fake, reference.neighborhood, batch), batch)
    precision = _inside_any_ball(fake, real, reference.radii(), batch)
    return precision, recall


def kid(fake: torch.Tensor, reference: RealReference) -> tuple[float, float]:
    """Unbiased MMD^2 with the cubic polynomial kernel, mean and std over the random subsets."""
    x, y = fake.cpu().numpy(), reference.fid_features.cpu().numpy()
    m = reference.kid_subset_size
    mmds = np.zeros(KID_SUBSETS)
    for i, (fake_idx, real_idx, kt_yy_sum) in enumerate(reference.kid_real(len(x))):
        f1, f2 = x[fake_idx], y[real_idx]
        k_xx, k_xy = _poly_kernel(f1, f1), _poly_kernel(f1, f2)
        kt_xx_sum = (k_xx.sum(axis=1) - np.diagonal(k_xx)).sum()
        mmd2 = (kt_xx_sum + kt_yy_sum) / (m * (m - 1))
        mmd2 -= 2 * k_xy.sum(axis=0).sum() / (m * m)
        mmds[i] = mmd2
    return float(np.mean(mmds)), float(np.std(mmds))
