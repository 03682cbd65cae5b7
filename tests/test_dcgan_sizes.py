"""The DCGAN at the papers' sizes (issue 15): 32 x 32 and 64 x 64 with 1 or 3 channels, the layer
widths of Radford et al. at 64 x 64, D's heads, and a few real training steps resuming bit for bit on
3-channel data of each size (random pixels: the step's mechanics do not depend on them)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from ganpriors.nets import build_nets
from ganpriors.nets.dcgan import DCGANGenerator, PowerOfTwoGenerator
from ganpriors.priors import build_prior
from ganpriors.train.batch import TrainingData
from ganpriors.train.state import TrainState

from state_helpers import assert_resumes_bitwise
from survey_runs import survey_run

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


@pytest.mark.parametrize("side", [32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_generator_and_discriminator_shapes(side, channels):
    model = survey_run("wgan_gp").model  # the default DCGAN nets, layer-norm critic
    g, d = build_nets(model, (channels, side, side))
    assert isinstance(g, PowerOfTwoGenerator)
    x = g(torch.randn(5, model.z_dim))
    assert x.shape == (5, channels, side, side) and x.abs().max() <= 1
    out = d(x)
    assert out.logit.shape == (5,) and out.features.shape[-2:] == (4, 4)


def test_the_64_pixel_nets_have_the_papers_widths():
    model = survey_run("wgan_gp").model.model_copy(update={"g_channels": 64, "d_channels": 64, "z_dim": 100})
    g, d = build_nets(model, (3, 64, 64))
    g_widths = [m.out_channels for m in g.net if isinstance(m, nn.ConvTranspose2d)]
    d_widths = [m.out_channels for m in d.net if isinstance(m, nn.Conv2d)]
    assert g_widths == [512, 256, 128, 64, 3] and d_widths == [64, 128, 256, 512, 1]
    # No normalisation on D's first layer (the paper), one after each of the others.
    assert isinstance(d.net[1], nn.LeakyReLU) and sum(isinstance(m, nn.GroupNorm) for m in d.net) == 3


def test_28_pixel_nets_are_the_studies_own_and_other_sizes_are_one_line():
    model = survey_run("wgan_gp").model
    g, _ = build_nets(model, (1, 28, 28))
    assert type(g) is DCGANGenerator
    with pytest.raises(ValueError, match=r"square images of side 28, 32 or 64, got \(3, 48, 48\)"):
        build_nets(model, (3, 48, 48))


@pytest.mark.parametrize("side", [32, 64])
def test_three_channel_runs_train_and_resume_bitwise(side):
    run = survey_run("wgan_gp")
    run = run.model_copy(update={"train": run.train.model_copy(update={"batch_size": 4, "n_critic": 2})})
    g = torch.Generator().manual_seed(0)
    data = TrainingData(torch.rand(16, 3, side, side, generator=g) * 2 - 1, torch.zeros(16, dtype=torch.long), 1)

    def make(checkpoint):
        return TrainState.create(run, 0, data, build_prior(run.prior), "cpu", checkpoint)

    state = assert_resumes_bitwise(make)
    assert next(state.generator.parameters()).shape[1] == (8 * 8 if side == 64 else 4 * 8)  # 8c or 4c at 4 x 4
