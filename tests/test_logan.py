"""LOGAN's latent step against hand computations on a linear G and D (where g = df/dz = A^T w has a
closed form): dz, the element mask, several steps, clipping, the gradient through dz into G's
update; then on the DCGAN nets through the real training step: both updates train on z', D's own
state is untouched by the latent step, and a resumed run continues bit for bit."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from ganpriors.config import validate_params
from ganpriors.errors import GanpriorsError
from ganpriors.nets.heads import DOut
from ganpriors.priors import build_prior
from ganpriors.regularisers.logan import STREAM, LatentOptimisation
from ganpriors.regularisers.specs import SETTINGS
from ganpriors.train.context import StepContext
from ganpriors.train.rngs import RngStreams

from test_train_seams import Recorder
from survey_runs import NORMAL, UNIFORM, assert_resumes_bitwise, survey_raw, survey_state

B, Z, X = 8, 5, 6


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


class LinearG(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(Z, X)

    def forward(self, z, y=None):
        return self.lin(z)


class LinearD(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(X, 1)

    def forward(self, x, y=None):
        return DOut(logit=self.lin(x).view(-1))


def prior(spec: dict):
    from pydantic import TypeAdapter

    from ganpriors.priors.specs import PriorSpec as Spec

    return build_prior(TypeAdapter(Spec).validate_python(spec))


def setup(prior_spec=NORMAL, seed: int = 0, **options):
    torch.manual_seed(seed)
    g, d = LinearG(), LinearD()
    p = prior(prior_spec)
    hook = LatentOptimisation(SETTINGS["logan"].model_validate(options), prior=p)
    z = torch.rand(B, Z, generator=torch.Generator().manual_seed(seed + 1)) * 2 - 1
    ctx = StepContext(0, torch.zeros(B, X), z, {}, None, g, d, p, rngs=RngStreams(0, "cpu"))
    return hook, ctx, g, d


def closed_form_grad(g: LinearG, d: LinearD) -> torch.Tensor:
    """df/dz for f(z) = w . (A z + b) + c: A^T w, the same for every sample and every z."""
    return (d.lin.weight[0] @ g.lin.weight).detach()


def masks(n_steps: int, p: float) -> list[torch.Tensor]:
    """The element masks the hook draws: the run's named stream, one B x Z draw per step."""
    rng = RngStreams(0, "cpu").get(STREAM)
    return [(torch.rand(B, Z, generator=rng) < p).float() for _ in range(n_steps)]


def hand_step(grad: torch.Tensor, mask: torch.Tensor, alpha: float, beta: float) -> torch.Tensor:
    gm = mask * grad  # B x Z: the optimised elements' gradient
    return alpha * gm / (beta + (gm ** 2).sum(1, keepdim=True))


def test_one_step_on_every_element_is_the_natural_gradient_step():
    hook, ctx, g, d = setup(alpha=0.9, beta=0.5, steps=1, mask_probability=1.0, weight=0.0)
    z_new = hook.prepare_latents(ctx.z, ctx)
    grad = closed_form_grad(g, d)
    expected = 0.9 * grad / (0.5 + grad.pow(2).sum())  # one row, every sample
    assert torch.allclose(z_new - ctx.z, expected.expand(B, Z), atol=1e-6)
    assert z_new.abs().max() > 1  # a Normal prior has no bounds: not clipped


def test_several_steps_with_a_per_element_mask():
    hook, ctx, g, d = setup(alpha=0.9, beta=0.5, steps=3, mask_probability=0.5, weight=0.0)
    z_new = hook.prepare_latents(ctx.z, ctx)
    grad, drawn = closed_form_grad(g, d), masks(3, 0.5)
    expected = ctx.z + sum(hand_step(grad, m, 0.9, 0.5) for m in drawn)
    assert torch.allclose(z_new, expected, atol=1e-6)
    # Not one step: each of the three moves z (a re-implementation that returns after one would not).
    assert all(float(m.sum()) > 0 for m in drawn)
    assert not torch.allclose(z_new, ctx.z + hand_step(grad, drawn[0], 0.9, 0.5), atol=1e-4)
    # Elements, not samples: within one sample some elements move and some do not (per step).
    first = hand_step(grad, drawn[0], 0.9, 0.5)
    moved = first != 0
    assert (moved.any(1) & ~moved.all(1)).any()
    # and over many draws about half of the elements are optimised
    many = torch.rand(20000, generator=RngStreams(1, "cpu").get(STREAM)) < 0.5
    assert float(many.float().mean()) == pytest.approx(0.5, abs=0.02)


def test_latents_are_clipped_to_a_bounded_prior_after_each_step():
    hook, ctx, g, d = setup(UNIFORM, alpha=5.0, beta=0.01, steps=2, mask_probability=1.0, weight=0.0)
    z_new = hook.prepare_latents(ctx.z, ctx)
    grad = closed_form_grad(g, d)
    step = hand_step(grad.expand(B, Z), torch.ones(B, Z), 5.0, 0.01)
    expected = (ctx.z + step).clamp(-1, 1)
    expected = (expected + step).clamp(-1, 1)
    assert torch.equal(z_new.abs().max(), torch.tensor(1.0)) and torch.allclose(z_new, expected, atol=1e-6)


def test_gs_gradient_flows_through_dz_and_d_gets_none_from_the_latent_step():
    options = dict(alpha=0.9, beta=0.5, steps=1, mask_probability=0.5, weight=3.0)
    hook, ctx, g, d = setup(**options)
    z0 = ctx.z.clone()
    ctx.z = hook.prepare_latents(ctx.z, ctx)
    loss = -d(g(ctx.z)).logit.mean() + hook.generator_term(ctx)
    loss.backward()
    assert d.lin.weight.grad is not None  # D's own forward above, not the latent step's copy ...
    w, c = d.lin.weight[0].detach(), d.lin.bias.detach()
    (mask,) = masks(1, 0.5)

    def reference(A, b, through_dz: bool = True):
        grad = w @ A                                        # df/dz = A^T w
        dz = hand_step(grad.expand(B, Z), mask, 0.9, 0.5)
        dz = dz if through_dz else dz.detach()
        fake = (z0 + dz) @ A.T + b
        return -(fake @ w + c).mean() + 3.0 * dz.pow(2).sum(1).mean()

    A = g.lin.weight.detach().clone().requires_grad_(True)
    b = g.lin.bias.detach().clone().requires_grad_(True)
    reference(A, b).backward()
    assert torch.allclose(g.lin.weight.grad, A.grad, atol=1e-6)
    assert torch.allclose(g.lin.bias.grad, b.grad, atol=1e-6)
    A2 = g.lin.weight.detach().clone().requires_grad_(True)
    reference(A2, b.detach(), through_dz=False).backward()
    assert not torch.allclose(A.grad, A2.grad, atol=1e-4)  # detaching dz would give another gradient
    # ... and D's gradient is exactly that of its own forward: the latent step's copy added nothing.
    expected_dw = -g(ctx.z).detach().mean(0)
    assert torch.allclose(d.lin.weight.grad[0], expected_dw, atol=1e-6)


def test_both_updates_train_on_the_optimised_latents():
    recorder = Recorder()
    state = survey_state("logan", {"recorder": recorder})
    from ganpriors.train.step import train_step

    train_step(state)
    logan = state.hooks["logan"]
    d_ctx, g_ctx = recorder.d_contexts[-1], recorder.g_contexts[0]
    assert d_ctx.z is logan._z and g_ctx.z is logan._z and g_ctx.fake is d_ctx.fake
    assert float(logan._dz.detach().abs().max()) > 0 and float(d_ctx.z.detach().abs().max()) <= 1.0  # U(-1, 1)
    assert torch.isfinite(torch.tensor(logan.stats()["logan_dz2"]))


def test_the_latent_step_leaves_ds_state_and_forwards_alone():
    state = survey_state("logan")  # spectral-norm D, in training mode
    state.train()
    d = state.discriminator
    before = {k: v.clone() for k, v in d.state_dict().items()}
    calls = []
    d.register_forward_pre_hook(lambda m, args: calls.append(m is d))  # (the copy inherits the hook)
    logan = state.hooks["logan"]
    z = state.prior.sample(8, state.z_dim, torch.Generator().manual_seed(0))
    ctx = StepContext(0, torch.zeros(8, 1, 28, 28), z, {}, None, state.generator, d, state.prior, rngs=state.rngs)
    logan.prepare_latents(z, ctx)
    assert calls == [False, False] and all(torch.equal(before[k], v) for k, v in d.state_dict().items())
    assert any("_u" in k for k in before)  # the power-iteration vectors are among what stayed put
    assert logan._critic.training and all(not p.requires_grad for p in logan._critic.parameters())
    from ganpriors.train.step import train_step

    train_step(state)
    assert calls[2:].count(True) == 3  # D(real), D(fake), D(fake) for G: the loss's forwards only


def test_logan_resumes_bitwise():
    assert_resumes_bitwise("logan")


@pytest.mark.parametrize("key, value, message", [
    ("mask_probability", 0.0, "logan.mask_probability = 0.0: Input should be greater than 0"),
    ("mask_probability", 1.5, "logan.mask_probability = 1.5: Input should be less than or equal to 1"),
    ("mask_probability", -0.2, "greater than 0"),
    ("steps", 0, "logan.steps = 0: Input should be greater than or equal to 1"),
    ("beta", 0.0, "logan.beta = 0.0: Input should be greater than 0"),
    ("weight", -1.0, "logan.weight = -1.0"),
])
def test_bad_logan_settings_are_one_line_errors(key, value, message):
    raw = survey_raw("logan")
    raw["runs"]["logan"]["regularisers"]["logan"][key] = value
    with pytest.raises(GanpriorsError) as err:
        validate_params(raw)
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)
    raw["runs"]["logan"]["regularisers"]["logan"]["mask_probability"] = 1.0  # (0, 1]: 1 is allowed
    raw["runs"]["logan"]["regularisers"]["logan"][key] = 1 if key == "steps" else 1.0
    validate_params(raw)


def test_only_bounded_priors_have_bounds():
    assert prior(UNIFORM).bounds() == (-1.0, 1.0)
    assert prior({"kind": "truncated_normal", "threshold": 2.0}).bounds() == (-2.0, 2.0)
    assert prior(NORMAL).bounds() is None and prior({"kind": "cauchy", "loc": 0.0, "scale": 1.0}).bounds() is None
