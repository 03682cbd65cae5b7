"""MaEM-GAN's regularisers: the replay buffer, RB-MaEM, DLLE and DIsoMap (tiny, CPU, one thread)."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from ganpriors.config import IsometrySettings, LocalLinearitySettings, ReplayBufferEntropySettings
from ganpriors.regularisers.base import StepContext
from ganpriors.regularisers.disomap import Isometry
from ganpriors.regularisers.dlle import LocalLinearity, perturb, rotate
from ganpriors.regularisers.rb_maem import ReplayBuffer, ReplayBufferEntropy

from state_helpers import saved_and_loaded

M, BATCH = 4, 8


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


def run_with(d_outputs: int = M) -> SimpleNamespace:
    return SimpleNamespace(model=SimpleNamespace(d_outputs=d_outputs))


def build(cls, options, seed: int = 0, d_outputs: int = M, image_shape=(2,)):
    return cls(options, run=run_with(d_outputs), prior=None, data=None, image_shape=image_shape,
               device="cpu", seed=seed)


def context(real, fake, discriminator, generator=None, z=None, step: int = 0) -> StepContext:
    return StepContext(step=step, real=real, z=z, info={}, fake=fake, generator=generator,
                       discriminator=discriminator, prior=None)


def tiny_discriminator(seed: int = 0, d_in: int = 2, m: int = M) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(d_in, 16), nn.Tanh(), nn.Linear(16, m))


def gradients_reach(module: nn.Module) -> bool:
    """Every parameter got a gradient and every weight matrix a nonzero one (a last-layer bias may
    cancel exactly, e.g. in D(F(x)) - D(x))."""
    params = list(module.parameters())
    return (len(params) > 0 and all(p.grad is not None for p in params)
            and all(p.grad.abs().sum() > 0 for p in params if p.dim() >= 2))


# -- the replay buffer -----------------------------------------------------------------------------

def test_buffer_keeps_exactly_the_last_n_codes_in_order_across_wraps_and_oversized_batches():
    size, dim = 7, 3
    buffer = ReplayBuffer(size, dim)
    assert len(buffer) == 0 and buffer.contents().shape == (0, dim)
    pushed = []
    counter = iter(range(10_000))
    for n in [3, 2, 4, 1, 6, 10, 7, 2, 13, 1, 0, 5]:  # below N, across the wrap point, above N, exactly N, empty
        batch = torch.tensor([[next(counter)] * dim for _ in range(n)], dtype=torch.float32).reshape(n, dim)
        batch = batch + torch.arange(dim) * 0.25  # columns differ: a transposed copy would not pass
        buffer.push(batch)
        pushed.append(batch)
        expected = torch.cat(pushed)[-size:]
        assert len(buffer) == len(expected)
        assert torch.equal(buffer.contents(), expected)


def test_buffer_contents_are_a_copy_and_pushes_are_detached():
    buffer = ReplayBuffer(4, 2)
    codes = torch.ones(3, 2, requires_grad=True)
    buffer.push(codes * 2)
    held = buffer.contents()
    assert not held.requires_grad
    buffer.push(torch.zeros(4, 2))
    assert torch.equal(held, torch.full((3, 2), 2.0))  # later pushes leave an earlier view untouched


def test_buffer_state_dict_round_trip_gives_identical_contents_and_behaviour():
    torch.manual_seed(0)
    a = ReplayBuffer(5, 2)
    a.push(torch.randn(3, 2))
    a.push(torch.randn(4, 2))  # wrapped: pos != 0, count == size
    b = ReplayBuffer(5, 2)
    b.load_state_dict(saved_and_loaded(a.state_dict()))
    assert len(b) == len(a) and torch.equal(b.contents(), a.contents())
    for n in [2, 6, 1]:
        batch = torch.randn(n, 2)
        a.push(batch)
        b.push(batch)
        assert torch.equal(b.contents(), a.contents())
    with pytest.raises(ValueError, match=r"replay buffer state has shape \(5, 2\), expected \(6, 2\)"):
        ReplayBuffer(6, 2).load_state_dict(a.state_dict())
    with pytest.raises(ValueError, match=r"replay buffer holds 2-dimensional codes, got \(2, 3\)"):
        a.push(torch.zeros(2, 3))


# -- RB-MaEM ---------------------------------------------------------------------------------------

def rb(seed: int = 0, **options) -> ReplayBufferEntropy:
    settings = {"weight": 1.0, "norm_weight": 0.0, "buffer_size": 16, **options}
    return build(ReplayBufferEntropy, ReplayBufferEntropySettings(**settings), seed=seed, d_outputs=2)


def rb_term(reg, codes, step: int = 0):
    """generator_term with D = identity, so the embedding is the batch itself."""
    return reg.generator_term(context(codes, codes, nn.Identity(), step=step))


def test_rb_maem_first_call_only_fills_the_buffer():
    reg = rb()
    assert math.isnan(reg.stats()["rb_maem_cos"]) and reg.stats()["rb_maem_buffer"] == 0
    assert rb_term(reg, torch.randn(BATCH, 2)) is None
    assert reg.stats()["rb_maem_buffer"] == BATCH
    assert math.isnan(reg.stats()["rb_maem_cos"])


def test_rb_maem_opposite_code_gives_the_minimum_and_the_same_code_the_maximum():
    e = torch.tensor([[0.6, -0.8]])
    reg = rb()
    reg.fake_buffer.push(e)
    term = rb_term(reg, -e.repeat(3, 1))
    assert term.item() == pytest.approx(-1.0, abs=1e-6)
    assert reg.stats()["rb_maem_cos"] == pytest.approx(-1.0, abs=1e-6)
    reg = rb()
    reg.fake_buffer.push(e)
    assert rb_term(reg, 5 * e.repeat(3, 1)).item() == pytest.approx(1.0, abs=1e-6)


def test_rb_maem_neighbour_is_the_highest_cosine_row_not_the_closest_point():
    v0 = torch.tensor([[1.0, 0.0]])
    near_in_l2 = torch.tensor([0.9, 0.9])      # distance 0.91, cosine 0.71
    near_in_angle = torch.tensor([5.0, 0.5])   # distance 4.03, cosine 0.995
    far = torch.tensor([-1.0, 0.2])
    reg = rb()
    reg.fake_buffer.push(torch.stack([near_in_l2, near_in_angle, far]))
    expected = torch.cosine_similarity(v0[0], near_in_angle, dim=0).item()
    assert (v0 - near_in_l2).norm() < (v0 - near_in_angle).norm()
    assert rb_term(reg, v0).item() == pytest.approx(expected, abs=1e-6)
    assert expected > torch.cosine_similarity(v0[0], near_in_l2, dim=0).item() + 0.2


def test_rb_maem_code_is_not_its_own_neighbour_and_is_pushed_after():
    reg = rb()
    reg.fake_buffer.push(torch.tensor([[0.0, 1.0]]))
    v0 = torch.tensor([[1.0, 0.0]])
    assert rb_term(reg, v0).item() == pytest.approx(0.0, abs=1e-6)  # orthogonal; itself would give 1
    assert torch.equal(reg.fake_buffer.contents()[-1], v0[0])
    assert rb_term(reg, v0).item() == pytest.approx(1.0, abs=1e-6)  # now it is in the buffer


def test_rb_maem_norm_weight_adds_lambda_times_the_mean_norm():
    torch.manual_seed(1)
    bank, v0 = torch.randn(5, 2), torch.randn(BATCH, 2) * 3
    terms = {}
    for lam in (0.0, 0.5):
        reg = rb(norm_weight=lam)
        reg.fake_buffer.push(bank)
        terms[lam] = rb_term(reg, v0).item()
    assert terms[0.5] - terms[0.0] == pytest.approx(0.5 * v0.norm(dim=1).mean().item(), rel=1e-5)


def test_rb_maem_weight_and_warmup_ramp_scale_the_term():
    torch.manual_seed(2)
    bank, v0 = torch.randn(5, 2), torch.randn(BATCH, 2)
    reference = rb()
    reference.fake_buffer.push(bank)
    base = rb_term(reference, v0).item()
    assert abs(base) > 1e-3
    for weight, warmup, step, factor in [(1.0, 4, 0, 0.25), (1.0, 4, 1, 0.5), (1.0, 4, 3, 1.0), (1.0, 4, 50, 1.0),
                                         (3.0, 0, 0, 3.0), (3.0, 10, 4, 1.5)]:
        reg = rb(weight=weight, warmup=warmup)
        reg.fake_buffer.push(bank)
        assert rb_term(reg, v0, step=step).item() == pytest.approx(factor * base, rel=1e-6)


def test_rb_maem_gradients_reach_the_generator_through_the_discriminator_embedding():
    torch.manual_seed(3)
    generator = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    discriminator = tiny_discriminator(m=M)
    reg = build(ReplayBufferEntropy, ReplayBufferEntropySettings(weight=1.0, buffer_size=32), d_outputs=M)
    for step in range(3):
        z = torch.randn(BATCH, 3)
        ctx = context(torch.randn(BATCH, 2), generator(z), discriminator, generator, z, step=step)
        generator.zero_grad(set_to_none=True)
        term = reg.generator_term(ctx)
        if step == 0:
            assert term is None
            continue
        term.backward()  # the push after the loss must not break the backward pass
        assert gradients_reach(generator)
    assert reg.stats()["rb_maem_buffer"] == 3 * BATCH
    assert -1 <= reg.stats()["rb_maem_cos"] <= 1


def test_rb_maem_accepts_a_scalar_discriminator_output():
    reg = build(ReplayBufferEntropy, ReplayBufferEntropySettings(weight=1.0, norm_weight=0.0), d_outputs=1)
    scalar = nn.Sequential(nn.Flatten(), nn.Linear(2, 1), nn.Flatten(0))  # shape B, as for m = 1
    real, fake = points(10)
    assert reg.generator_term(context(real, fake, scalar)) is None
    term = reg.generator_term(context(real, -fake, scalar))
    assert -1 - 1e-6 <= term.item() <= 1 + 1e-6 and len(reg.fake_buffer) == 2 * BATCH


def test_rb_maem_real_in_discriminator_spreads_real_embeddings_with_its_own_buffer():
    torch.manual_seed(4)
    discriminator = tiny_discriminator()
    settings = ReplayBufferEntropySettings(weight=1.0, buffer_size=32, real_in_discriminator=True)
    reg = build(ReplayBufferEntropy, settings)
    assert build(ReplayBufferEntropy, ReplayBufferEntropySettings()).discriminator_term(
        context(torch.randn(BATCH, 2), torch.randn(BATCH, 2), discriminator)) is None
    assert reg.discriminator_term(context(torch.randn(BATCH, 2), torch.randn(BATCH, 2), discriminator)) is None
    term = reg.discriminator_term(context(torch.randn(BATCH, 2), torch.randn(BATCH, 2), discriminator))
    term.backward()
    assert gradients_reach(discriminator)
    assert len(reg.real_buffer) == 2 * BATCH and len(reg.fake_buffer) == 0
    stats = reg.stats()
    assert set(stats) == {"rb_maem_cos", "rb_maem_real_cos", "rb_maem_buffer"}
    assert math.isnan(stats["rb_maem_cos"]) and not math.isnan(stats["rb_maem_real_cos"])


def test_rb_maem_state_dict_resumes_bit_for_bit():
    torch.manual_seed(5)
    discriminator = tiny_discriminator()
    settings = ReplayBufferEntropySettings(weight=1.0, buffer_size=10, real_in_discriminator=True)
    a = build(ReplayBufferEntropy, settings)
    batches = [(torch.randn(BATCH, 2), torch.randn(BATCH, 2)) for _ in range(6)]
    for real, fake in batches[:3]:
        a.discriminator_term(context(real, fake, discriminator))
        a.generator_term(context(real, fake, discriminator))
    b = build(ReplayBufferEntropy, settings)
    b.load_state_dict(saved_and_loaded(a.state_dict()))
    assert b.stats() == a.stats()
    for real, fake in batches[3:]:
        ctx = context(real, fake, discriminator)
        assert torch.equal(a.discriminator_term(ctx), b.discriminator_term(ctx))
        assert torch.equal(a.generator_term(ctx), b.generator_term(ctx))


# -- DLLE ------------------------------------------------------------------------------------------

class SquaredNormEmbedding(nn.Module):
    """D(x) = [||x||^2, ||x||^2 + 1]: invariant under rotations about the origin."""

    def forward(self, x):
        r2 = x.pow(2).sum(dim=1)
        return torch.stack([r2, r2 + 1], dim=1)


def dlle(seed: int = 0, image_shape=(2,), **options) -> LocalLinearity:
    return build(LocalLinearity, LocalLinearitySettings(**options), seed=seed, image_shape=image_shape)


def points(seed: int):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(BATCH, 2, generator=gen), torch.randn(BATCH, 2, generator=gen)


def small_images(seed: int, size: int = 8):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(BATCH, 1, size, size, generator=gen) * 2 - 1,
            torch.rand(BATCH, 1, size, size, generator=gen) * 2 - 1)


def test_perturb_with_zero_angle_and_noise_returns_the_input():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(3, 1, 28, 28, generator=gen) * 2 - 1
    assert torch.allclose(perturb(x, 0.0, 0.0, gen), x, atol=1e-5)
    p = torch.randn(5, 2, generator=gen)
    assert torch.equal(perturb(p, 0.0, 0.0, gen), p)


def test_rotation_by_90_degrees_is_rot90_counter_clockwise_as_plotted():
    image = -torch.ones(1, 1, 6, 6)
    image[0, 0, 1, 1:4] = torch.tensor([0.2, 0.5, 0.9])  # an asymmetric L
    image[0, 0, 2:5, 1] = torch.tensor([0.3, -0.4, 0.7])
    turned = rotate(image, torch.tensor([90.0]))
    expected = torch.rot90(image, 1, dims=(2, 3))  # top row moves to the left column: counter-clockwise
    assert torch.allclose(turned[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1], atol=1e-5)
    assert not torch.allclose(turned, torch.rot90(image, -1, dims=(2, 3)), atol=1e-2)
    # Points use the same sense: the x axis turns onto the y axis.
    assert torch.allclose(rotate(torch.tensor([[1.0, 0.0]]), torch.tensor([90.0])), torch.tensor([[0.0, 1.0]]), atol=1e-6)


def test_rotation_fills_with_the_background_value():
    blob = -torch.ones(1, 1, 28, 28)
    blob[..., 10:18, 12:16] = 1.0
    turned = rotate(blob, torch.tensor([30.0]))
    assert torch.equal(turned[..., :3, :3], -torch.ones(1, 1, 3, 3))  # background stays exactly -1
    assert torch.equal(turned[..., -3:, -3:], -torch.ones(1, 1, 3, 3))
    white = torch.ones(1, 1, 28, 28)
    turned = rotate(white, torch.tensor([45.0]))
    assert turned[0, 0, 0, 0].item() == pytest.approx(-1.0, abs=1e-6)  # corner from outside: background, not 0
    assert turned[0, 0, 14, 14].item() == pytest.approx(1.0, abs=1e-6)


def test_dlle_is_zero_without_perturbation_for_any_discriminator():
    real, fake = points(0)
    reg = dlle(max_angle=0.0, noise_std=0.0)
    assert reg.discriminator_term(context(real, fake, tiny_discriminator())).item() == pytest.approx(0.0, abs=1e-10)
    real, fake = small_images(1)
    conv = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Tanh(), nn.Flatten(), nn.Linear(3 * 6 * 6, M))
    reg = dlle(max_angle=0.0, noise_std=0.0, image_shape=(1, 8, 8))
    assert reg.discriminator_term(context(real, fake, conv)).item() == pytest.approx(0.0, abs=1e-8)


def test_dlle_is_zero_for_a_rotation_invariant_embedding_of_points():
    real, fake = points(2)
    reg = dlle(max_angle=170.0, noise_std=0.0)
    assert reg.discriminator_term(context(real, fake, SquaredNormEmbedding())).item() == pytest.approx(0.0, abs=1e-8)
    noisy = dlle(max_angle=170.0, noise_std=0.1)
    assert noisy.discriminator_term(context(real, fake, SquaredNormEmbedding())).item() > 1e-4


def test_dlle_is_positive_for_a_generic_discriminator_and_trains_it():
    real, fake = points(3)
    discriminator = tiny_discriminator()
    reg = dlle(weight=2.0, max_angle=30.0, noise_std=0.05)
    assert math.isnan(reg.stats()["dlle_loss"])
    term = reg.discriminator_term(context(real, fake.requires_grad_(), discriminator))
    assert term.item() > 1e-4
    assert term.item() == pytest.approx(2.0 * reg.stats()["dlle_loss"], rel=1e-6)
    term.backward()
    assert gradients_reach(discriminator)
    assert fake.grad is None  # the generated batch is a constant for D's term


def test_dlle_of_a_linear_discriminator_is_the_noise_through_its_weights():
    """D(x) = W x, no rotation: D(F(x)) - D(x) = s W n, so the term is s^2 times the mean of ||W n||^2
    over the noise the regulariser drew (redrawn here from its seeded stream: angles, then noise, per
    batch), whose expectation is s^2 ||W||_F^2."""
    from ganpriors.regularisers.dlle import _SALT as DLLE_SALT

    W = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5], [-2.0, 1.0]])  # ||W||_F^2 = 21.25
    linear = nn.Linear(2, M, bias=False)
    with torch.no_grad():
        linear.weight.copy_(W)
    s, n = 0.1, 4096
    gen = torch.Generator().manual_seed(1)
    real, fake = torch.randn(n, 2, generator=gen), torch.randn(n, 2, generator=gen)
    reg = dlle(seed=4, weight=2.0, max_angle=0.0, noise_std=s)
    term = reg.discriminator_term(context(real, fake, linear))
    stream = torch.Generator().manual_seed(DLLE_SALT + 4)
    drawn = []
    for _ in range(2):
        torch.rand(n, generator=stream)  # the (zero-width) angles
        drawn.append(torch.randn(n, 2, generator=stream))
    expected = sum(((s * noise @ W.T) ** 2).sum(1).mean().item() for noise in drawn) / 2
    assert reg.stats()["dlle_loss"] == pytest.approx(expected, rel=1e-4)
    assert term.item() == pytest.approx(2.0 * expected, rel=1e-4)
    assert expected == pytest.approx(s * s * 21.25, rel=0.05)


def test_dlle_on_images_gives_a_positive_term_and_gradients():
    real, fake = small_images(4)
    conv = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Tanh(), nn.Flatten(), nn.Linear(3 * 6 * 6, M))
    term = dlle(max_angle=20.0, noise_std=0.01, image_shape=(1, 8, 8)).discriminator_term(context(real, fake, conv))
    assert term.item() > 0
    term.backward()
    assert gradients_reach(conv)


def test_dlle_same_seed_same_terms_and_state_dict_restores_the_stream():
    real, fake = points(5)
    discriminator = tiny_discriminator()
    ctx = context(real, fake, discriminator)
    a, b, other = dlle(seed=7), dlle(seed=7), dlle(seed=8)
    first = a.discriminator_term(ctx)
    assert torch.equal(first, b.discriminator_term(ctx))
    assert not torch.equal(first, other.discriminator_term(ctx))
    state = saved_and_loaded(a.state_dict())
    expected = a.discriminator_term(ctx)
    assert not torch.equal(expected, first)  # the stream moved on
    fresh = dlle(seed=7)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.discriminator_term(ctx), expected)


# -- DIsoMap ---------------------------------------------------------------------------------------

def disomap(seed: int = 0, **options) -> Isometry:
    return build(Isometry, IsometrySettings(**options), seed=seed, image_shape=(1, 6, 6))


def image_batches(seed: int):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(BATCH, 1, 6, 6, generator=gen) * 2 - 1, torch.rand(BATCH, 1, 6, 6, generator=gen) * 2 - 1


@pytest.mark.parametrize("bias", [False, True])
def test_disomap_is_zero_for_linear_and_affine_embeddings(bias):
    torch.manual_seed(6)
    real, fake = image_batches(6)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(36, M, bias=bias))
    term = disomap(weight=3.0).discriminator_term(context(real, fake, linear))
    assert term.item() == pytest.approx(0.0, abs=1e-5)


def test_disomap_is_positive_for_a_nonlinear_embedding_and_trains_it():
    torch.manual_seed(7)
    real, fake = image_batches(7)
    nonlinear = nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.Tanh(), nn.Linear(16, M))
    reg = disomap(weight=3.0)
    assert math.isnan(reg.stats()["disomap_loss"])
    fake.requires_grad_()
    term = reg.discriminator_term(context(real, fake, nonlinear))
    assert term.item() > 1e-4
    assert term.item() == pytest.approx(3.0 * reg.stats()["disomap_loss"], rel=1e-6)
    term.backward()
    assert gradients_reach(nonlinear)
    assert fake.grad is None


def test_disomap_is_one_minus_the_cosine_between_the_mixture_and_the_mixed_embeddings():
    from ganpriors.regularisers.disomap import _SALT as DISOMAP_SALT

    torch.manual_seed(8)
    real, fake = image_batches(8)
    nonlinear = nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.Tanh(), nn.Linear(16, M))
    reg = disomap(seed=2, weight=3.0)
    term = reg.discriminator_term(context(real, fake, nonlinear))
    a = torch.rand(BATCH, generator=torch.Generator().manual_seed(DISOMAP_SALT + 2))  # the mixing weights it drew
    with torch.no_grad():
        expected = 0.0
        for i in range(BATCH):
            mixed = nonlinear((a[i] * real[i] + (1 - a[i]) * fake[i])[None])[0]
            target = a[i] * nonlinear(real[i][None])[0] + (1 - a[i]) * nonlinear(fake[i][None])[0]
            expected += 1 - float(mixed @ target) / (float(mixed.norm()) * float(target.norm()))
        expected /= BATCH
    assert expected > 1e-4
    assert reg.stats()["disomap_loss"] == pytest.approx(expected, rel=1e-4)
    assert term.item() == pytest.approx(3.0 * expected, rel=1e-4)


class GradModeRecorder(nn.Module):
    """Wraps D and records, per call, whether autograd was recording."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner, self.grad_enabled = inner, []

    def forward(self, x):
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.inner(x)


def test_disomap_target_is_a_constant_only_the_mixture_is_trained():
    torch.manual_seed(9)
    real, fake = image_batches(9)
    recorder = GradModeRecorder(nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.Tanh(), nn.Linear(16, M)))
    ctx = context(real, fake, recorder)
    ctx.compute_heads()  # the step's D(x_real), D(x_fake), shared with the loss
    term = disomap().discriminator_term(ctx)
    assert recorder.grad_enabled == [True, True, True]  # those two, and the regulariser's only one: D(x_mix)
    # the combination of the step's embeddings is a constant target: no gradient reaches them
    assert torch.autograd.grad(term, [ctx.d_real.logit, ctx.d_fake.logit], allow_unused=True) == (None, None)


def test_disomap_same_seed_same_terms_and_state_dict_restores_the_stream():
    torch.manual_seed(8)
    real, fake = image_batches(8)
    ctx = context(real, fake, nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.Tanh(), nn.Linear(16, M)))
    a, b, other = disomap(seed=3), disomap(seed=3), disomap(seed=4)
    first = a.discriminator_term(ctx)
    assert torch.equal(first, b.discriminator_term(ctx))
    assert not torch.equal(first, other.discriminator_term(ctx))
    state = saved_and_loaded(a.state_dict())
    expected = a.discriminator_term(ctx)
    assert not torch.equal(expected, first)
    fresh = disomap(seed=3)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.discriminator_term(ctx), expected)


def test_registry_resolves_the_three_regularisers():
    from ganpriors import registry

    assert registry.resolve(registry.REGULARISERS, "rb_maem") is ReplayBufferEntropy
    assert registry.resolve(registry.REGULARISERS, "dlle") is LocalLinearity
    assert registry.resolve(registry.REGULARISERS, "disomap") is Isometry
