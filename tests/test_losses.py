"""Adversarial losses against hand computations on tiny logits."""
from __future__ import annotations

import math

import pytest
import torch

from ganpriors.losses import HingeLoss, NonSaturatingLoss, WassersteinLoss

REAL = torch.tensor([2.0, -0.5])
FAKE = torch.tensor([0.5, -3.0])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_non_saturating_loss_values():
    loss = NonSaturatingLoss()
    # -log sigmoid(r) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f); each averaged over the batch
    expected_d = (softplus(-2.0) + softplus(0.5)) / 2 + (softplus(0.5) + softplus(-3.0)) / 2
    assert float(loss.discriminator(REAL, FAKE)) == pytest.approx(expected_d, rel=1e-6)
    assert float(loss.generator(FAKE)) == pytest.approx((softplus(-0.5) + softplus(3.0)) / 2, rel=1e-6)


def test_hinge_loss_values():
    loss = HingeLoss()
    # mean(relu(1 - r)) + mean(relu(1 + f)) = (0 + 1.5)/2 + (1.5 + 0)/2
    assert float(loss.discriminator(REAL, FAKE)) == pytest.approx(1.5)
    assert float(loss.generator(FAKE)) == pytest.approx(1.25)  # -mean(f)


def test_wasserstein_loss_values_and_scores():
    loss = WassersteinLoss()
    assert float(loss.discriminator(REAL, FAKE)) == pytest.approx(-1.25 - 0.75)
    assert float(loss.generator(FAKE)) == pytest.approx(1.25)
    assert torch.equal(loss.score(REAL), REAL)  # critic values, not probabilities
    assert torch.allclose(NonSaturatingLoss().score(REAL), torch.sigmoid(REAL))
