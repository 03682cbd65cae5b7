"""WGAN with weight clipping (RMSProp as a selectable optimiser, the weight_clip hook) and WGAN-GP's
batch-norm-free critic, on tiny runs through the real training step."""
from __future__ import annotations

import pytest
import torch

from ganpriors import registry
from ganpriors.config import validate_params
from ganpriors.errors import GanpriorsError
from ganpriors.train.hooks import Hook

from survey_runs import assert_resumes_bitwise, steps, survey_raw, survey_state


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


def test_rmsprop_trains_both_nets_when_selected_and_adam_otherwise():
    state = survey_state("wgan_clip")
    assert type(state.opt_d) is torch.optim.RMSprop and type(state.opt_g) is torch.optim.RMSprop
    assert state.opt_d.defaults["lr"] == state.opt_g.defaults["lr"] == 5e-5
    steps(state, 1)
    assert all(int(s["step"]) == 5 for s in state.opt_d.state.values())  # n_critic 5
    assert all(int(s["step"]) == 1 for s in state.opt_g.state.values())
    adam = survey_state("wgan_gp")
    assert type(adam.opt_d) is torch.optim.Adam and adam.opt_d.defaults["betas"] == (0.0, 0.9)


def test_an_rmsprop_step_is_torchs_rmsprop_and_the_hand_formula():
    settings = validate_params(survey_raw("wgan_clip")).resolve_run("wgan_clip").train
    build = registry.resolve(registry.OPTIMIZERS, "rmsprop")
    p0 = torch.tensor([0.5, -1.0, 2.0])
    grads = [torch.tensor([0.1, -0.2, 0.3]), torch.tensor([-0.4, 0.0, 0.6])]
    ours, theirs = torch.nn.Parameter(p0.clone()), torch.nn.Parameter(p0.clone())
    opt_ours, opt_theirs = build([ours], 5e-5, settings), torch.optim.RMSprop([theirs], lr=5e-5)
    hand, v = p0.clone().double(), torch.zeros(3, dtype=torch.float64)
    for g in grads:
        for p, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            p.grad = g.clone()
            opt.step()
        v = 0.99 * v + 0.01 * g.double() ** 2          # running mean of squared gradients
        hand = hand - 5e-5 * g.double() / (v.sqrt() + 1e-8)
    assert torch.equal(ours.detach(), theirs.detach())
    assert torch.allclose(ours.detach().double(), hand, rtol=0, atol=1e-7)


def test_the_adam_builder_is_the_call_the_loop_always_made():
    settings = validate_params(survey_raw("wgan_gp")).resolve_run("wgan_gp").train
    a, b = torch.nn.Parameter(torch.ones(4)), torch.nn.Parameter(torch.ones(4))
    ours = registry.resolve(registry.OPTIMIZERS, "adam")([a], 1e-3, settings)
    theirs = torch.optim.Adam([b], lr=1e-3, betas=(settings.beta1, settings.beta2))
    assert ours.defaults == theirs.defaults
    for _ in range(3):
        a.grad, b.grad = torch.arange(4.0), torch.arange(4.0)
        ours.step()
        theirs.step()
    assert torch.equal(a, b)


class CriticBounds(Hook):
    """After each critic update (after the run's regularisers): the largest |parameter| of D."""

    def __init__(self):
        self.after_d, self.at_g = [], []

    def after_d_step(self, ctx):
        self.after_d.append(max(float(p.detach().abs().max()) for p in ctx.discriminator.parameters()))

    def generator_term(self, ctx):
        self.at_g.append(max(float(p.detach().abs().max()) for p in ctx.discriminator.parameters()))


def test_weight_clipping_bounds_the_critic_after_every_critic_update():
    bounds = CriticBounds()
    state = survey_state("wgan_clip", {"bounds": bounds})
    assert max(float(p.detach().abs().max()) for p in state.discriminator.parameters()) > 0.01  # N(0, 0.02) init
    steps(state, 2)
    assert len(bounds.after_d) == 10 and max(bounds.after_d) <= 0.01 and max(bounds.at_g) <= 0.01
    assert max(bounds.after_d) == pytest.approx(0.01)  # the bound binds (weights were clamped to it)
    for name, p in state.discriminator.named_parameters():
        assert float(p.detach().abs().max()) <= 0.01, name


def test_wgan_clip_and_wgan_gp_resume_bitwise():
    assert_resumes_bitwise("wgan_clip")
    assert_resumes_bitwise("wgan_gp")


@pytest.mark.parametrize("edit, message", [
    (lambda r: r["wgan_clip"]["regularisers"]["weight_clip"].update(clip=-0.01),
     "runs.wgan_clip.regularisers: weight_clip.clip = -0.01: Input should be greater than 0"),
    (lambda r: r["wgan_clip"]["regularisers"]["weight_clip"].update(clip=0.0), "greater than 0"),
    (lambda r: r["wgan_clip"]["train"].update(loss="hinge"), "weight_clip bounds a WGAN critic: use train.loss wgan"),
    (lambda r: r["wgan_clip"]["model"].update(d_norm="spectral"), "weight_clip on a spectral-norm critic"),
    (lambda r: r["wgan_clip"]["train"].update(optimizer="sgd"), "unknown optimizer 'sgd' (allowed: adam, rmsprop)"),
    (lambda r: r["wgan_clip"]["train"].update(adam="fused"), "adam: fused is Adam's kernel"),
    (lambda r: r["wgan_gp"]["model"].update(d_norm="batch"),
     "train.loss wgan-gp penalises each sample's gradient, which batch norm couples"),
])
def test_bad_survey_settings_are_one_line_errors(edit, message):
    raw = survey_raw("wgan_clip", "wgan_gp")
    raw["runs"]["wgan_clip"]["model"] = {}
    edit(raw["runs"])
    with pytest.raises(GanpriorsError) as err:
        validate_params(raw)
    text = str(err.value)
    assert message in text and "\n" not in text, text
