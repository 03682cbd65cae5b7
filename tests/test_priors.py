import math

import pytest
import torch
from pydantic import TypeAdapter

from ganpriors.priors import build_prior, load_prior, save_prior
from ganpriors.priors.specs import PriorSpec

SPEC = TypeAdapter(PriorSpec)


def prior(**kw):
    return build_prior(SPEC.validate_python(kw))


@pytest.fixture(scope="module")
def fitted():
    p = prior(kind="nonparametric", bins=1024, low=-2.0, high=2.0, variance_floor=0.75)
    p.fit()
    return p


PARAMETRIC = [
    ({"kind": "normal", "loc": 0.5, "scale": 2.0}, 0.5, 2.0),
    ({"kind": "uniform", "low": -1.0, "high": 3.0}, 1.0, 4 / math.sqrt(12)),
    ({"kind": "gamma", "shape": 2.0, "scale": 1.5, "symmetric": False}, 3.0, 1.5 * math.sqrt(2)),
    # symmetric: mean 0, E[z^2] = k(k+1) theta^2
    ({"kind": "gamma", "shape": 1.0, "scale": 1.0, "symmetric": True}, 0.0, math.sqrt(2.0)),
]


@pytest.mark.parametrize("spec,mean,std", PARAMETRIC)
def test_parametric_shapes_and_moments(spec, mean, std):
    z = prior(**spec).sample(20000, 16, torch.Generator().manual_seed(0))
    assert z.shape == (20000, 16) and z.dtype == torch.float32
    assert abs(z.mean().item() - mean) < 0.02 * max(1.0, std)
    assert abs(z.std().item() - std) / std < 0.02


# The law each sampler must follow, as scipy.stats names it (loc, scale), and its support.
LAWS = [
    ({"kind": "normal", "loc": 0.5, "scale": 2.0}, "norm", (0.5, 2.0), (-math.inf, math.inf)),
    ({"kind": "uniform", "low": -1.0, "high": 3.0}, "uniform", (-1.0, 4.0), (-1.0, 3.0)),
    ({"kind": "gamma", "shape": 2.0, "scale": 1.5, "symmetric": False}, "gamma", (2.0, 0.0, 1.5), (0.0, math.inf)),
    ({"kind": "gamma", "shape": 0.5, "scale": 1.0, "symmetric": False}, "gamma", (0.5, 0.0, 1.0), (0.0, math.inf)),
    # symmetric Gamma(1, 1): a Laplace law, density e^-|z| / 2
    ({"kind": "gamma", "shape": 1.0, "scale": 1.0, "symmetric": True}, "laplace", (0.0, 1.0), (-math.inf, math.inf)),
    ({"kind": "gamma", "shape": 2.0, "scale": 1.0, "symmetric": True}, "dgamma", (2.0, 0.0, 1.0), (-math.inf, math.inf)),
    ({"kind": "cauchy", "loc": 1.0, "scale": 2.0}, "cauchy", (1.0, 2.0), (-math.inf, math.inf)),
]


@pytest.mark.parametrize("spec,law,args,support", LAWS)
def test_parametric_samples_follow_their_law_on_its_support(spec, law, args, support):
    """Kolmogorov-Smirnov against scipy's CDF: a sampler with the right moments but the wrong shape
    (a Normal for the Uniform or the Laplace law) fails; so does a sample outside the support."""
    from scipy import stats

    p = prior(**spec)
    z = p.sample(2000, 10, torch.Generator().manual_seed(0)).flatten().double()
    assert support[0] <= z.min().item() and z.max().item() <= support[1]
    assert stats.kstest(z.numpy(), law, args=args).pvalue > 1e-3
    # and the density used by prior_kl and the pmf figure is that law's (where it is finite)
    x = z[:200]
    assert torch.allclose(p.log_density(x), torch.from_numpy(getattr(stats, law).logpdf(x.numpy(), *args)), atol=1e-6)


def test_a_normal_sampler_fails_the_uniform_and_laplace_laws():
    from scipy import stats

    z = torch.randn(20000, generator=torch.Generator().manual_seed(0)).double().numpy()
    assert stats.kstest(z * 4 / math.sqrt(12) + 1.0, "uniform", args=(-1.0, 4.0)).pvalue < 1e-6  # same mean and std
    assert stats.kstest(z * math.sqrt(2.0), "laplace", args=(0.0, 1.0)).pvalue < 1e-6


def test_cauchy_quartiles():
    z = prior(kind="cauchy", loc=1.0, scale=2.0).sample(50000, 4, torch.Generator().manual_seed(0)).flatten()
    q1, med, q3 = torch.quantile(z[:100000].double(), torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64))
    assert abs(med - 1.0) < 0.05 and abs((q3 - q1) - 4.0) < 0.1  # IQR of Cauchy = 2 * scale


def test_nonparametric_samples_follow_pmf(fitted):
    z = fitted.sample(50000, 8, torch.Generator().manual_seed(1))
    assert z.shape == (50000, 8)
    assert z.min() >= -2.0 - fitted.width and z.max() <= 2.0 + fitted.width
    assert abs(z.std().item() - fitted.std()) / fitted.std() < 0.03
    # Histogram on the bins matches the pmf (total variation).
    idx = torch.round((z.flatten().double() + 2.0) / fitted.width).clamp(0, 1023).long()
    hist = torch.bincount(idx, minlength=1024).double() / idx.numel()
    assert 0.5 * (hist - fitted.pmf).abs().sum() < 0.05


@pytest.mark.parametrize("spec", [s for s, _, _ in PARAMETRIC] + [{"kind": "cauchy"}])
def test_sampling_is_reproducible_with_a_seed(spec):
    p = prior(**spec)
    a = p.sample(64, 32, torch.Generator().manual_seed(7))
    b = p.sample(64, 32, torch.Generator().manual_seed(7))
    c = p.sample(64, 32, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_prior_file_roundtrip(tmp_path, fitted):
    save_prior(tmp_path / "p.safetensors", fitted, fitted.summary())
    loaded = load_prior(tmp_path / "p.safetensors")
    assert loaded.spec == fitted.spec and torch.equal(loaded.pmf, fitted.pmf)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(loaded.sample(10, 5, g1), fitted.sample(10, 5, g2))
