"""Mode-coverage metrics (2-D mixtures, stacked Fashion-MNIST) and I-Variance."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from ganpriors.data.specs import GaussianGridSpec, GaussianRingSpec, StackedSpec
from ganpriors.metrics.i_variance import i_variance, softmax_i_variance
from ganpriors.metrics.mode_coverage import (
    channel_labels,
    histogram_coverage,
    kl_to_uniform,
    mixture_centers,
    mixture_coverage,
    mode_ids,
    nearest_modes,
    sample_mixture,
)

torch.set_num_threads(1)

RING = GaussianRingSpec(kind="gaussian_ring", modes=8, radius=2.0, std=0.02)
GRID = GaussianGridSpec(kind="gaussian_grid", side=5, spacing=2.0, std=0.05)


# --- centres -----------------------------------------------------------------------------------

@pytest.mark.parametrize("modes,radius", [(8, 2.0), (5, 1.5), (12, 3.0)])
def test_ring_centres_lie_on_the_circle_at_equal_angles(modes, radius):
    spec = GaussianRingSpec(kind="gaussian_ring", modes=modes, radius=radius)
    c = mixture_centers(spec)
    assert c.shape == (modes, 2) and c.dtype == torch.float32
    assert torch.allclose(c.norm(dim=1), torch.full((modes,), radius), atol=1e-5)
    angles = torch.atan2(c[:, 1].double(), c[:, 0].double()) % (2 * math.pi)
    expected = torch.arange(modes, dtype=torch.float64) * 2 * math.pi / modes
    assert torch.allclose(angles, expected, atol=1e-5)
    step = (c - c.roll(-1, dims=0)).norm(dim=1)   # neighbouring centres equally far apart
    assert torch.allclose(step, torch.full((modes,), 2 * radius * math.sin(math.pi / modes)), atol=1e-5)


def test_grid_centres_form_a_centred_row_major_lattice():
    c = mixture_centers(GRID)
    assert c.shape == (25, 2) and c.dtype == torch.float32
    for i in range(5):
        for j in range(5):
            assert c[i * 5 + j].tolist() == pytest.approx([(j - 2) * 2.0, (i - 2) * 2.0])
    assert torch.allclose(c.mean(dim=0), torch.zeros(2), atol=1e-6)


def test_grid_centres_even_side_and_spacing():
    spec = GaussianGridSpec(kind="gaussian_grid", side=4, spacing=1.5)
    c = mixture_centers(spec)
    assert c.shape == (16, 2)
    assert torch.allclose(c.mean(dim=0), torch.zeros(2), atol=1e-6)
    assert sorted({round(v, 4) for v in c[:, 0].tolist()}) == [-2.25, -0.75, 0.75, 2.25]
    d = torch.cdist(c, c) + torch.eye(16) * 1e9
    assert torch.allclose(d.min(dim=1).values, torch.full((16,), 1.5), atol=1e-5)
    assert c[1, 0] - c[0, 0] == pytest.approx(1.5) and c[4, 1] - c[0, 1] == pytest.approx(1.5)


def test_centres_of_a_non_mixture_spec_are_refused():
    with pytest.raises(ValueError, match="stacked"):
        mixture_centers(StackedSpec(kind="stacked"))


# --- KL to uniform ------------------------------------------------------------------------------

def test_kl_to_uniform_values():
    assert kl_to_uniform([3, 3, 3, 3]) == pytest.approx(0.0, abs=1e-12)
    assert kl_to_uniform([5, 0, 0, 0]) == pytest.approx(math.log(4))
    assert kl_to_uniform([1, 3, 0, 0]) == pytest.approx(0.25 * math.log(1) + 0.75 * math.log(3))
    assert kl_to_uniform([0, 0, 0]) is None
    assert kl_to_uniform(torch.zeros(0)) is None


# --- 2-D mixture coverage ------------------------------------------------------------------------

def test_five_of_eight_ring_modes_equally_used():
    centers = mixture_centers(RING)
    used = [0, 2, 3, 5, 7]
    good = centers[used].repeat_interleave(10, dim=0)                 # 10 points exactly on each
    outliers = torch.tensor([[100.0, 100.0], [0.0, 0.0], [-50.0, 3.0], [1.0, 1.0]])
    r = mixture_coverage(torch.cat([good, outliers]), centers, RING.std, RING.quality_std)
    assert r["n"] == 54 and r["n_modes"] == 8
    assert r["modes_covered"] == 5
    assert r["high_quality_share"] == pytest.approx(50 / 54)
    assert r["histogram"] == [10, 0, 10, 10, 0, 10, 0, 10]
    assert r["kl_to_uniform"] == pytest.approx(math.log(8 / 5))


def test_unequal_use_of_modes_gives_the_histogram_kl():
    centers = mixture_centers(RING)
    counts = [4, 0, 1, 0, 0, 0, 3, 0]
    pts = torch.cat([centers[k].expand(n, 2) for k, n in enumerate(counts) if n])
    r = mixture_coverage(pts, centers, RING.std, RING.quality_std)
    assert r["histogram"] == counts and r["modes_covered"] == 3 and r["high_quality_share"] == 1.0
    p = np.array([4, 1, 3]) / 8
    assert r["kl_to_uniform"] == pytest.approx(float((p * np.log(p * 8)).sum()))


def test_all_modes_equally_used_gives_zero_kl():
    for spec in (RING, GRID):
        centers = mixture_centers(spec)
        r = mixture_coverage(centers.repeat(7, 1), centers, spec.std, spec.quality_std)
        assert r["modes_covered"] == spec.n_modes
        assert r["histogram"] == [7] * spec.n_modes
        assert r["kl_to_uniform"] == pytest.approx(0.0, abs=1e-12)
        assert r["high_quality_share"] == 1.0


@pytest.mark.parametrize("spec", [RING, GRID])
def test_quality_threshold_is_quality_std_standard_deviations(spec):
    centers = mixture_centers(spec)
    angle = torch.linspace(0, 2 * math.pi, len(centers) + 1)[:-1]
    direction = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    inside = centers + 2.9 * spec.std * direction
    outside = centers + 3.1 * spec.std * direction
    r_in = mixture_coverage(inside, centers, spec.std, spec.quality_std)
    assert r_in["high_quality_share"] == 1.0 and r_in["modes_covered"] == spec.n_modes
    r_out = mixture_coverage(outside, centers, spec.std, spec.quality_std)
    assert r_out["high_quality_share"] == 0.0 and r_out["modes_covered"] == 0
    assert r_out["histogram"] == [0] * spec.n_modes and r_out["kl_to_uniform"] is None
    # A looser threshold accepts the 3.1-std points.
    assert mixture_coverage(outside, centers, spec.std, 3.2)["high_quality_share"] == 1.0


def test_non_finite_points_are_low_quality():
    centers = mixture_centers(RING)
    pts = torch.cat([centers[:2], torch.tensor([[math.nan, 0.0], [math.inf, math.inf],
                                                [math.nan, math.nan], [0.0, -math.inf]])])
    r = mixture_coverage(pts, centers, RING.std, RING.quality_std)
    assert r["n"] == 6 and r["modes_covered"] == 2
    assert r["high_quality_share"] == pytest.approx(2 / 6)
    assert r["histogram"] == [1, 1, 0, 0, 0, 0, 0, 0]
    only_nan = mixture_coverage(torch.full((5, 2), math.nan), centers, RING.std, RING.quality_std)
    assert only_nan["high_quality_share"] == 0.0 and only_nan["kl_to_uniform"] is None


def test_nearest_modes_is_independent_of_the_chunk_size():
    centers = mixture_centers(GRID)
    pts = torch.randn(1000, 2, generator=torch.Generator().manual_seed(3)) * 3
    pts[17] = math.nan
    d_big, i_big = nearest_modes(pts, centers)
    d_small, i_small = nearest_modes(pts, centers, chunk=37)
    assert torch.equal(i_big, i_small) and torch.allclose(d_big, d_small, equal_nan=True)
    brute = torch.cdist(pts[:5].double(), centers.double()).min(dim=1)
    assert torch.equal(i_big[:5], brute.indices) and torch.allclose(d_big[:5], brute.values)
    assert math.isinf(d_big[17])


# --- sampling ------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", [RING, GRID])
def test_sample_mixture_is_close_to_the_mixture(spec):
    centers = mixture_centers(spec)
    n = 40_000
    x = sample_mixture(centers, spec.std, n, torch.Generator().manual_seed(0))
    assert x.shape == (n, 2) and x.dtype == torch.float32
    dist, index = nearest_modes(x, centers)
    assert dist.max() < 6 * spec.std                           # every point near some centre
    freq = torch.bincount(index, minlength=len(centers)).double() / n
    assert (freq - 1 / len(centers)).abs().max() < 0.012       # ~ uniform over the modes
    r = mixture_coverage(x, centers, spec.std, spec.quality_std)
    assert r["modes_covered"] == spec.n_modes
    # P(|N(0, I_2)| <= 3) = 1 - exp(-4.5) = 0.9889
    assert r["high_quality_share"] == pytest.approx(1 - math.exp(-4.5), abs=0.004)
    assert r["kl_to_uniform"] < 0.01


def test_sample_mixture_is_deterministic_for_a_generator():
    centers = mixture_centers(GRID)
    a = sample_mixture(centers, 0.05, 500, torch.Generator().manual_seed(11))
    b = sample_mixture(centers, 0.05, 500, torch.Generator().manual_seed(11))
    c = sample_mixture(centers, 0.05, 500, torch.Generator().manual_seed(12))
    assert torch.equal(a, b) and not torch.equal(a, c)
    g = torch.Generator().manual_seed(11)
    first, second = sample_mixture(centers, 0.05, 500, g), sample_mixture(centers, 0.05, 500, g)
    assert torch.equal(first, a) and not torch.equal(first, second)   # the generator advances


# --- stacked (discrete) modes --------------------------------------------------------------------

def test_mode_ids_first_channel_most_significant():
    labels = torch.tensor([[0, 0, 0], [1, 2, 3], [9, 9, 9], [3, 0, 7], [0, 5, 0]])
    assert mode_ids(labels).tolist() == [0, 123, 999, 307, 50]
    assert mode_ids(torch.tensor([[4, 2], [0, 9]])).tolist() == [42, 9]
    assert mode_ids(torch.tensor([[1, 1, 1]]), n_classes=4).tolist() == [21]


def test_histogram_coverage_counts_distinct_triples():
    g = torch.Generator().manual_seed(5)
    triples = torch.randperm(1000, generator=g)[:37]
    labels = torch.stack([triples // 100, triples // 10 % 10, triples % 10], dim=1)
    labels = labels[torch.randint(37, (2000,), generator=g)]     # repeated, unevenly
    labels[:37] = torch.stack([triples // 100, triples // 10 % 10, triples % 10], dim=1)
    r = histogram_coverage(mode_ids(labels), 1000)
    assert r["n"] == 2000 and r["n_modes"] == 1000 and r["modes_covered"] == 37
    assert len(r["histogram"]) == 1000 and sum(r["histogram"]) == 2000
    assert {k for k, v in enumerate(r["histogram"]) if v} == set(triples.tolist())
    assert r["kl_to_uniform"] > math.log(1000 / 37) - 1e-9       # >= log(K/m), equal only if uniform


def test_histogram_coverage_uniform_over_all_modes_is_zero_kl():
    ids = torch.arange(1000).repeat(26)                           # 26,000 samples, 26 per mode
    labels = torch.stack([ids // 100, ids // 10 % 10, ids % 10], dim=1)
    r = histogram_coverage(mode_ids(labels), 1000)
    assert r["n"] == 26_000 and r["modes_covered"] == 1000
    assert r["histogram"] == [26] * 1000
    assert r["kl_to_uniform"] == pytest.approx(0.0, abs=1e-12)


def test_histogram_coverage_edge_cases():
    r = histogram_coverage(torch.tensor([7, 7, 7]), 100)
    assert r["modes_covered"] == 1 and r["kl_to_uniform"] == pytest.approx(math.log(100))
    empty = histogram_coverage(torch.zeros(0, dtype=torch.long), 10)
    assert empty["n"] == 0 and empty["modes_covered"] == 0 and empty["kl_to_uniform"] is None
    with pytest.raises(ValueError):
        histogram_coverage(torch.tensor([0, 1000]), 1000)


class BrightnessClassifier(nn.Module):
    """Stand-in classifier: class k for images whose mean intensity is nearest -1 + 2k/9 in [-1, 1]."""

    def __init__(self):
        super().__init__()
        self.sharpness = nn.Parameter(torch.tensor(50.0))          # a parameter, so grad could leak
        self.register_buffer("levels", torch.linspace(-1, 1, 10))
        self.calls = []

    def forward(self, x):
        assert x.dtype == torch.float32 and x.shape[1:] == (1, 28, 28)
        assert x.min() >= -1 and x.max() <= 1
        self.calls.append(len(x))
        mean = x.mean(dim=(1, 2, 3))
        return -self.sharpness * (mean[:, None] - self.levels[None]) ** 2


def test_channel_labels_recovers_per_channel_brightness_classes():
    g = torch.Generator().manual_seed(2)
    n, c = 53, 3
    classes = torch.randint(10, (n, c), generator=g)
    value = (classes.float() * 255 / 9).round()                      # uint8 level of each class
    noise = torch.randint(-6, 7, (n, c, 28, 28), generator=g).float()
    images = (value[:, :, None, None] + noise).clamp(0, 255).to(torch.uint8)
    model = BrightnessClassifier().train()
    labels = channel_labels(model, images, batch_size=20)
    assert labels.dtype == torch.long and labels.shape == (n, c)
    assert torch.equal(labels, classes)
    assert not labels.requires_grad and not model.training
    assert sum(model.calls) == n * c and max(model.calls) <= 20
    # Feeding the labels through mode_ids gives the triples' modes.
    assert torch.equal(mode_ids(labels), classes[:, 0] * 100 + classes[:, 1] * 10 + classes[:, 2])


# --- I-Variance ----------------------------------------------------------------------------------

def test_i_variance_identical_rows_is_zero():
    row = torch.softmax(torch.randn(10, generator=torch.Generator().manual_seed(0)), dim=0)
    assert i_variance(row.expand(100, 10)) == pytest.approx(0.0, abs=1e-12)


def test_i_variance_two_class_one_hot_split():
    k = 10
    p = torch.zeros(200, k)
    p[:100, 3] = 1.0
    p[100:, 7] = 1.0
    # std over samples is 0.5 on classes 3 and 7, 0 elsewhere.
    assert i_variance(p) == pytest.approx(2 * 0.5 / k)


def test_i_variance_matches_numpy_population_std():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(300, 10)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = float(np.std(probs, axis=0, ddof=0).mean())
    assert i_variance(torch.from_numpy(probs)) == pytest.approx(expected, rel=1e-12)
    assert softmax_i_variance(torch.from_numpy(logits).float()) == pytest.approx(expected, rel=1e-5)
    assert softmax_i_variance(torch.from_numpy(logits)) == pytest.approx(expected, rel=1e-12)
    assert i_variance(torch.from_numpy(probs)) != pytest.approx(float(np.std(probs, axis=0, ddof=1).mean()),
                                                                rel=1e-6)


def test_i_variance_higher_for_more_diverse_samples():
    g = torch.Generator().manual_seed(1)
    diverse = torch.softmax(torch.randn(500, 10, generator=g) * 5, dim=1)
    collapsed = torch.softmax(torch.randn(500, 10, generator=g) * 0.1, dim=1)
    assert softmax_i_variance(torch.log(diverse)) > i_variance(collapsed)
