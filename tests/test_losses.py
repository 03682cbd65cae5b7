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


class LinearCritic(torch.nn.Module):
    """D(x) = x.flatten(1) @ W: its input gradient is W (per output) wherever it is taken, so the
    gradient penalty on the critic averaged over its outputs is (||mean_j W[:, j]|| - 1)^2 exactly."""

    def __init__(self, w: torch.Tensor):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x):
        out = x.flatten(1) @ self.w
        return out.squeeze(1) if out.shape[1] == 1 else out


@pytest.mark.parametrize("w, norm", [
    ([[3.0], [0.0], [4.0], [0.0]], 5.0),          # one output, ||w|| = 5: penalty 10 * 16
    ([[0.3], [0.4], [0.0], [0.0]], 0.5),          # ||w|| < 1 is penalised too: 10 * 0.25
    ([[0.6], [0.0], [0.0], [0.8]], 1.0),          # a 1-Lipschitz critic: no penalty
    ([[2.0, 4.0], [0.0, 0.0], [0.0, 0.0], [6.0, 2.0]], 5.0),  # two outputs averaged: mean column (3, 0, 0, 4)
])
def test_wgan_gp_penalty_is_the_closed_form_for_a_linear_critic(w, norm):
    from ganpriors.losses import WassersteinGPLoss
    from ganpriors.train.context import StepContext

    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(6, 1, 2, 2, generator=g), torch.randn(6, 1, 2, 2, generator=g) + 1
    critic = LinearCritic(torch.tensor(w))
    ctx = StepContext(0, real, None, {}, fake, None, critic, None)
    loss = WassersteinGPLoss(10.0, torch.Generator().manual_seed(1)).discriminator_loss(ctx)
    W = torch.tensor(w)
    with torch.no_grad():
        wasserstein = (fake.flatten(1) @ W).mean() - (real.flatten(1) @ W).mean()
    assert loss.item() == pytest.approx(wasserstein.item() + 10 * (norm - 1) ** 2, rel=1e-5, abs=1e-5)
    weighted = WassersteinGPLoss(2.5).discriminator_loss(StepContext(0, real, None, {}, fake, None, critic, None))
    assert math.isclose(weighted.item(), wasserstein.item() + 2.5 * (norm - 1) ** 2, rel_tol=1e-5, abs_tol=1e-5)
    # d/dW[:, j] of the loss, m outputs: (mean fake - mean real) / m + 20 (||w|| - 1) w / ||w|| / m, w = mean column
    loss.backward()  # through the penalty too (create_graph)
    m, mean_w = W.shape[1], W.mean(1)
    grad = (fake.flatten(1).mean(0) - real.flatten(1).mean(0)) / m + 20 * (norm - 1) * mean_w / norm / m
    assert torch.allclose(critic.w.grad, grad[:, None].expand(-1, m), atol=1e-5)
