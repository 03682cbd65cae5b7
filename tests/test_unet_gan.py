"""U-Net GAN: the nets' heads at 28 x 28 through 32 x 32, the loss on both heads by hand, CutMix's
masks, warm-up and consistency term by hand, then tiny runs through the real training step with a
bitwise resume, and the bad combinations as one-line errors."""
from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from ganpriors.config import validate_params
from ganpriors.errors import GanpriorsError
from ganpriors.losses import UNetLoss
from ganpriors.nets.heads import DOut
from ganpriors.nets.unet import UNetDiscriminator, UNetGenerator
from ganpriors.regularisers.cutmix import STREAM, CutMix, box_masks, draw_masks, mixing_probability
from ganpriors.regularisers.specs import SETTINGS
from ganpriors.train.context import StepContext
from ganpriors.train.rngs import RngStreams

from survey_runs import NORMAL, assert_resumes_bitwise, steps, survey_raw, survey_state


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


# -- nets ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 28, 28), (1, 32, 32)])
def test_unet_heads_are_at_the_datas_size(shape):
    torch.manual_seed(0)
    g, d = UNetGenerator(16, 4, shape), UNetDiscriminator(4, shape[0])
    x = g(torch.randn(5, 16))
    assert x.shape == (5, *shape) and float(x.detach().abs().max()) <= 1
    out = d(x)
    assert out.logit.shape == (5,) and out.pixel_logits.shape == (5, 1, *shape[1:])
    assert out.features.shape == (5, 16, 4, 4)
    # each pixel's logit depends on the image (the decoder sees the encoder's skip features)
    grad, = torch.autograd.grad(out.pixel_logits[0, 0, 3, 3], x, retain_graph=True)
    assert float(grad[0].abs().sum()) > 0 and float(grad[1:].abs().sum()) == 0  # per sample


def test_unet_discriminator_has_spectral_norm_on_every_weight_when_asked():
    with_sn, without = UNetDiscriminator(4, 1, spectral=True), UNetDiscriminator(4, 1, spectral=False)
    weights = [m for m in with_sn.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert weights and all(hasattr(m, "parametrizations") for m in weights)
    assert not any(hasattr(m, "parametrizations") for m in without.modules())


# -- the loss ------------------------------------------------------------------------------------------

def ctx_with_heads(real: DOut, fake: DOut, fake_for_g: DOut) -> StepContext:
    ctx = StepContext(0, torch.zeros(2, 1, 2, 2), None, {}, torch.zeros(2, 1, 2, 2), None, None, None)
    ctx._heads.update(real=real, fake=fake, fake_for_g=fake_for_g)
    return ctx


def test_unet_loss_by_hand():
    real = DOut(logit=torch.tensor([2.0, -1.0]), pixel_logits=torch.tensor([[[[0.0, 1.0], [2.0, -2.0]]],
                                                                           [[[1.0, 1.0], [0.0, 0.0]]]]))
    fake = DOut(logit=torch.tensor([0.5, -3.0]), pixel_logits=torch.tensor([[[[-1.0, 0.0], [0.0, 3.0]]],
                                                                           [[[0.0, 0.0], [2.0, -1.0]]]]))
    loss = UNetLoss()
    ctx = ctx_with_heads(real, fake, fake)
    # BCE(l, 1) = softplus(-l), BCE(l, 0) = softplus(l); global terms averaged over 2 images,
    # per-pixel terms over 2 x 4 pixels.
    enc_real = (softplus(-2.0) + softplus(1.0)) / 2
    dec_real = sum(softplus(-v) for v in [0, 1, 2, -2, 1, 1, 0, 0]) / 8
    enc_fake = (softplus(0.5) + softplus(-3.0)) / 2
    dec_fake = sum(softplus(v) for v in [-1, 0, 0, 3, 0, 0, 2, -1]) / 8
    assert float(loss.discriminator_loss(ctx)) == pytest.approx(0.5 * (enc_real + dec_real) + 0.5 * (enc_fake + dec_fake))
    enc_g = (softplus(-0.5) + softplus(3.0)) / 2
    dec_g = sum(softplus(-v) for v in [-1, 0, 0, 3, 0, 0, 2, -1]) / 8
    assert float(loss.generator_loss(ctx)) == pytest.approx(0.5 * enc_g + 0.5 * dec_g)
    with pytest.raises(ValueError, match="per-pixel head"):
        loss.discriminator_loss(ctx_with_heads(DOut(logit=real.logit), fake, fake))


# -- CutMix --------------------------------------------------------------------------------------------

def test_box_masks_by_hand():
    # lambda 0.75: side floor(sqrt(0.25) * 8) = 4; centre (row 2, column 5): rows [0, 4), columns [3, 7)
    m = box_masks(torch.tensor([0.75]), torch.tensor([2]), torch.tensor([5]), torch.tensor([False]), 8, 8)
    expected = torch.ones(8, 8)
    expected[0:4, 3:7] = 0
    assert m.shape == (1, 1, 8, 8) and torch.equal(m[0, 0], expected)
    # clipped at the border: lambda 0.19 -> side floor(0.9 * 8) = 7, centre (7, 0): rows [4, 8), columns [0, 3)
    m = box_masks(torch.tensor([0.19]), torch.tensor([7]), torch.tensor([0]), torch.tensor([True]), 8, 8)
    inverted = torch.zeros(8, 8)
    inverted[4:8, 0:3] = 1  # inverted: the box is real, the rest generated
    assert torch.equal(m[0, 0], inverted)
    # lambda 1: no box (all real, or all generated when inverted)
    m = box_masks(torch.tensor([1.0, 1.0]), torch.tensor([3, 3]), torch.tensor([3, 3]), torch.tensor([False, True]), 8, 8)
    assert torch.equal(m[0, 0], torch.ones(8, 8)) and torch.equal(m[1, 0], torch.zeros(8, 8))


def test_drawn_masks_are_binary_boxes_and_half_inverted():
    m = draw_masks(2000, 28, 28, torch.Generator().manual_seed(0))
    assert m.shape == (2000, 1, 28, 28) and set(m.unique().tolist()) <= {0.0, 1.0}
    # lambda ~ U(0, 1): the box covers about (1 - lambda) of the image, E = 1/2; inverted half the time
    assert float(m.mean()) == pytest.approx(0.5, abs=0.03)
    assert 0.2 < float((m.flatten(1).mean(1) > 0.5).float().mean()) < 0.8


def test_mixing_probability_warms_up_linearly():
    assert [mixing_probability(s, 0.5, 10) for s in (0, 5, 10, 30)] == [0.0, 0.25, 0.5, 0.5]
    assert mixing_probability(0, 0.5, 0) == 0.5


class ShiftD(torch.nn.Module):
    """A per-pixel critic with a spatial reach (pixel + its right neighbour), so mixing is not free:
    D_dec(mix) differs from the mix of D_dec's at the box's edges."""

    def forward(self, x, y=None):
        pixels = x + torch.roll(x, 1, dims=-1)
        return DOut(logit=x.flatten(1).mean(1), pixel_logits=pixels)


@pytest.mark.parametrize("augmentation", [True, False])
def test_cutmix_term_by_hand(augmentation):
    g = torch.Generator().manual_seed(0)
    real, fake = torch.rand(3, 1, 6, 6, generator=g), torch.rand(3, 1, 6, 6, generator=g) - 1
    d = ShiftD()
    ctx = StepContext(4, real, None, {}, fake, None, d, None, rngs=RngStreams(0, "cpu"))
    ctx.compute_heads()
    hook = CutMix(SETTINGS["cutmix"].model_validate({"probability": 1.0, "warmup": 4, "consistency_weight": 2.0,
                                                     "augmentation": augmentation}))
    term = hook.discriminator_term(ctx)
    rng = RngStreams(0, "cpu").get(STREAM, "cpu")
    assert float(torch.rand((), generator=rng)) < 1.0  # the coin (r_mix = 1 at step 4 of a 4-step warm-up)
    mask = draw_masks(3, 6, 6, rng)
    mixed = mask * real + (1 - mask) * fake
    pix = lambda x: x + torch.roll(x, 1, dims=-1)  # noqa: E731
    consistency = ((pix(mixed) - (mask * pix(real) + (1 - mask) * pix(fake))) ** 2).mean()
    assert float(consistency) > 0
    expected = 2.0 * consistency
    if augmentation:
        p = torch.sigmoid(pix(mixed))
        bce_pixels = -(mask * p.log() + (1 - mask) * (1 - p).log()).mean()
        bce_global = F.softplus(mixed.flatten(1).mean(1)).mean()  # the mixture labelled fake
        expected = expected + bce_pixels + bce_global
    assert float(term) == pytest.approx(float(expected), rel=1e-5)
    assert hook.stats()["cutmix_consistency"] == pytest.approx(float(consistency), rel=1e-5)


def test_cutmix_never_mixes_before_the_warm_up_starts_and_the_target_is_not_detached():
    real, fake = torch.rand(4, 1, 8, 8), torch.rand(4, 1, 8, 8)
    hook = CutMix(SETTINGS["cutmix"].model_validate({"probability": 0.5, "warmup": 10}))
    ctx = StepContext(0, real, None, {}, fake, None, ShiftD(), None, rngs=RngStreams(0, "cpu"))
    assert all(hook.discriminator_term(ctx) is None for _ in range(50))  # r_mix = 0 at step 0
    conv = torch.nn.Conv2d(1, 1, 3, padding=1)

    class ConvD(torch.nn.Module):
        def forward(self, x, y=None):
            return DOut(logit=x.flatten(1).mean(1), pixel_logits=conv(x))

    hook = CutMix(SETTINGS["cutmix"].model_validate({"probability": 1.0, "augmentation": False}))
    ctx = StepContext(0, real, None, {}, fake, None, ConvD(), None, rngs=RngStreams(0, "cpu"))
    ctx.compute_heads()
    hook.discriminator_term(ctx).backward()
    with_target = conv.weight.grad.clone()
    conv.weight.grad = None
    rng = RngStreams(0, "cpu").get(STREAM, "cpu")
    torch.rand((), generator=rng)  # the coin
    mask = draw_masks(4, 8, 8, rng)
    assert ((mask.flatten(1).mean(1) > 0) & (mask.flatten(1).mean(1) < 1)).any()  # some image is a mixture
    mixed = mask * real + (1 - mask) * fake
    detached = mask * conv(real).detach() + (1 - mask) * conv(fake).detach()
    F.mse_loss(conv(mixed), detached).backward()
    assert float(with_target.abs().sum()) > 0
    assert not torch.allclose(with_target, conv.weight.grad)  # gradients also reach D through the target


# -- through the training step -------------------------------------------------------------------------

def test_unet_gan_trains_with_cutmix_through_the_real_step():
    state = survey_state("unet")
    calls = []
    state.discriminator.register_forward_pre_hook(lambda m, args: calls.append(1))
    steps(state, 4)  # warm-up 2: r_mix 0 at step 0, 0.25 at step 1, then 0.5
    cutmix = state.hooks["cutmix"]
    assert cutmix.stats()["cutmix_rate"] == 0.5
    mixed = len(calls) - 4 * 3  # D(real), D(fake), D(fake) for G per step, plus one D(mix) when mixing
    assert 0 <= mixed <= 3
    g_before = survey_state("unet").generator.state_dict()
    assert any(not torch.equal(v, g_before[k]) for k, v in state.generator.state_dict().items())


def test_unet_gan_resumes_bitwise():
    full = assert_resumes_bitwise("unet", before=3, after=3)
    assert not math.isnan(full.hooks["cutmix"].stats()["cutmix_consistency"])  # a mixed update happened


@pytest.mark.parametrize("edit, message", [
    (lambda r: r.update(dataset={"kind": "gaussian_ring"}),
     "model.net unet is a U-Net over image pixels; dataset gaussian_ring is 2-D points: use net mlp"),
    (lambda r: r["model"].update(d_norm="batch"), "the unet discriminator supports spectral (the paper's) or none"),
    (lambda r: r["train"].update(loss="nonsaturating"), "model.net unet trains its per-pixel head with train.loss unet"),
    (lambda r: r["model"].update(net="dcgan"),
     "train.loss unet reads a per-pixel head, which model.net dcgan does not have: use net unet"),
    (lambda r: (r["model"].update(net="dcgan"), r["train"].update(loss="nonsaturating")),
     "regulariser cutmix reads a per-pixel head, which model.net dcgan does not have"),
    (lambda r: r["regularisers"]["cutmix"].update(probability=1.5),
     "cutmix.probability = 1.5: Input should be less than or equal to 1"),
    (lambda r: r["regularisers"]["cutmix"].update(warmup=-1), "cutmix.warmup = -1"),
])
def test_bad_unet_settings_are_one_line_errors(edit, message):
    raw = survey_raw("unet")
    edit(raw["runs"]["unet"])
    with pytest.raises(GanpriorsError) as err:
        validate_params(raw)
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)
    assert str(err.value).startswith("params.yaml: runs.unet")


def test_normal_prior_name_is_shared():  # the run definitions' prior (guards a rename of NORMAL)
    assert survey_raw("unet")["runs"]["unet"]["prior"] == NORMAL
