"""metrics/evaluate.py with stubs: which latents the interpolation sets mix and with what weight,
which field each score lands in (closed-form feature sets), and the extractor-weights guard."""
from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from ganpriors.errors import GanpriorsError
from ganpriors.metrics import evaluate
from ganpriors.metrics.evaluate import generate, scores
from ganpriors.metrics.fidelity import RealReference


class CountingModel:
    """A TrainedModel stand-in: the k-th call to `latents` draws the constant latent VALUES[k]
    (so two independent draws differ) and labels k; G maps z to an image whose every pixel is z[0]."""

    VALUES = [-1.0, 1.0, -0.5, 0.5]

    def __init__(self):
        self.calls, self.rngs, self.labels_seen = 0, [], []

    def latents(self, n, rng):
        value = self.VALUES[self.calls]
        self.rngs.append(rng)
        y = torch.full((n,), self.calls)
        self.calls += 1
        return torch.full((n, 4), value), {"y": y}

    def generate(self, z, y=None):
        self.labels_seen.append(y)
        return z[:, :1, None, None].expand(-1, 1, 3, 3)

    def sample(self, n, rng, y=None):
        z, info = self.latents(n, rng)
        return self.generate(z, info["y"])


@pytest.mark.parametrize("lam", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_interpolations_mix_two_independent_draws_with_weight_lambda(lam):
    model, rng = CountingModel(), torch.Generator()
    images = generate(model, 6, rng, 6, lam)
    # (1 - lam) * (-1) + lam * (+1) = 2 lam - 1 in [-1, 1]; uint8 = round((x + 1) * 127.5) = round(255 lam)
    assert images.dtype == torch.uint8 and images.shape == (6, 1, 3, 3)
    assert torch.equal(images, torch.full((6, 1, 3, 3), round(255 * lam), dtype=torch.uint8))
    assert model.calls == 2 and model.rngs == [rng, rng]  # two draws, both from the evaluation's stream
    assert torch.equal(model.labels_seen[0], torch.zeros(6, dtype=torch.long))  # labels of the first endpoint


def test_each_batch_of_interpolations_draws_its_own_pair():
    model = CountingModel()
    images = generate(model, 5, torch.Generator(), 3, 0.5)  # batches of 3 and 2
    # batch 1 mixes -1 and 1 (mid-point 0 -> 127.5 -> 128), batch 2 mixes -0.5 and 0.5 (also 0)
    assert model.calls == 4 and images.shape == (5, 1, 3, 3)
    assert (images == 128).all()
    prior = generate(CountingModel(), 5, torch.Generator(), 3, None)  # prior samples: one draw per batch
    assert (prior[:3] == 0).all() and (prior[3:] == 255).all()


def test_scores_land_in_their_fields_on_sets_with_closed_form_scores():
    """Real features ~ 0 and fake ~ 1 (16 dims, tiny noise), every fake with the same class logits:
    IS = 1 (each p(y|x) equals the marginal) with std 0; FID = |mu_f - mu_r|^2 = 16; KID with the
    kernel (x.y/16 + 1)^3: k(f, f) = 8, k(r, r) = k(r, f) = 1, so MMD^2 = 8 + 1 - 2 = 7 with std ~0;
    no fake lies in a real k-NN ball and no real in a fake one: precision = recall = 0."""
    g = torch.Generator().manual_seed(0)
    n, d = 400, 16
    real = {"f": 1e-4 * torch.randn(n, d, generator=g), "logits": torch.randn(n, 10, generator=g)}
    fake = {"f": 1 + 1e-4 * torch.randn(n, d, generator=g), "logits": torch.tensor([[2.0, -1.0, 0.5] + [0.0] * 7] * n)}
    out = scores(fake, RealReference(real, "f", 3, 100, 0), "logits")
    assert set(out) == {"is", "is_std", "fid", "kid", "kid_std", "precision", "recall"}
    assert out["is"] == pytest.approx(1.0, abs=1e-5) and out["is_std"] == pytest.approx(0.0, abs=1e-5)
    assert out["fid"] == pytest.approx(16.0, rel=1e-3)
    assert out["kid"] == pytest.approx(7.0, rel=1e-3) and 0 <= out["kid_std"] < 1e-3
    assert out["precision"] == 0.0 and out["recall"] == 0.0


def test_precision_recall_and_fid_with_unequal_spreads_on_a_line():
    """Real (t, t) for t = 0..9, fake for t = 0..4 and 100..104 (1-NN balls): precision 0.5, recall
    0.6 (as on the line in test_fidelity). The covariances are var * [[1, 1], [1, 1]] (sample
    variances 99/12 * 10/9 and 2 * (48^2 + ... + 52^2) / 9 of t), which commute, so
    FID = 2 (mu_f - mu_r)^2 + 2 (sigma_f - sigma_r)^2: twice the 1-D Frechet distance."""
    real = torch.arange(10.0).unsqueeze(1).expand(-1, 2).contiguous()
    fake = torch.cat([torch.arange(5.0), torch.arange(100.0, 105.0)]).unsqueeze(1).expand(-1, 2).contiguous()
    logits = torch.eye(10) * 50  # ten confident, different classes in ten images
    out = scores({"f": fake, "logits": logits}, RealReference({"f": real, "logits": logits}, "f", 1, 5, 0), "logits")
    assert out["precision"] == pytest.approx(0.5) and out["recall"] == pytest.approx(0.6)
    var_r, var_f = 99 / 12 * 10 / 9, 2 * sum(v * v for v in range(48, 53)) / 9
    assert out["fid"] == pytest.approx(2 * (52 - 4.5) ** 2 + 2 * (math.sqrt(var_f) - math.sqrt(var_r)) ** 2, rel=1e-5)
    # Ten splits of one image each: every split's IS is exp(KL(p || p)) = 1, so IS = 1 and std 0,
    # however confident the images; the mean-vs-std fields cannot be told apart here but are above.
    assert out["is"] == pytest.approx(1.0) and out["is_std"] == pytest.approx(0.0, abs=1e-9)


def test_extractor_weights_other_than_the_real_features_are_refused(monkeypatch):
    extractor = SimpleNamespace(weights_sha256="b" * 64)
    monkeypatch.setattr(evaluate, "build_extractor", lambda settings, path, device: extractor)
    model = SimpleNamespace(meta={})
    with pytest.raises(GanpriorsError, match="computed with other extractor weights than clf.safetensors; rerun the "
                                             "real-features stage"):
        evaluate._score_images({"protocol": {}}, SimpleNamespace(), 0, model, None, {}, {"weights_sha256": "a" * 64},
                               Path("real.safetensors"), Path("clf.safetensors"), None, torch.device("cpu"))
