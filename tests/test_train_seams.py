"""The step API's seams: labels in batches, D's heads once per batch, parameter ownership, hooks
before z and after the updates, export of other weights, and TrainState's round trip (tiny, CPU)."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from ganpriors.artifacts import TrainedModel
from ganpriors.config import load_params
from ganpriors.io import load_tensors
from ganpriors.losses import NonSaturatingLoss
from ganpriors.nets.heads import DOut
from ganpriors.priors import build_prior
from ganpriors.priors.base import Prior
from ganpriors.train.batch import Batch, Batches, TrainingData
from ganpriors.train.context import DISCRIMINATOR, GENERATOR
from ganpriors.train.hooks import GeneratorEMA, Hook
from ganpriors.train.rngs import RngStreams, stream_seed
from ganpriors.train.state import TrainState
from ganpriors.train.step import train_step

from conftest import ROOT
from state_helpers import images_and_labels, same, saved_and_loaded

QUICK_FILES = [ROOT / "configs" / "quick_mode_collapse.yaml", ROOT / "configs" / "quick.yaml"]
BATCH = 8


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


def tiny_run(name: str, **train):
    """A run of the quick configurations (MaEM-GAN runs, then the others) at batch size 8."""
    params = next(p for p in map(load_params, QUICK_FILES) if name in p.runs)
    run = params.resolve_run(name)
    return run.model_copy(update={"train": run.train.model_copy(update={"batch_size": BATCH, **train})})


def state_for(name: str, hooks: dict | None = None, checkpoint: dict | None = None) -> TrainState:
    run = tiny_run(name)
    data = TrainingData(*images_and_labels(), n_groups=10)
    return TrainState.create(run, 0, data, build_prior(run.prior), "cpu", checkpoint, hooks)


class Recorder(Hook):
    """Keeps the contexts the hooks saw."""

    def __init__(self):
        self.d_contexts, self.g_contexts = [], []

    def after_d_step(self, ctx):
        self.d_contexts.append(ctx)

    def after_g_step(self, ctx):
        self.g_contexts.append(ctx)


# -- labels ------------------------------------------------------------------------------------------

class LabelledNormal(Prior):
    """N(0, I) latents with a class label per draw (info["y"]), as a class-conditional prior gives."""

    def sample_with_info(self, n, dim, generator=None, device="cpu"):
        z = torch.randn(n, dim, generator=generator, device=device)
        return z, {"y": torch.randint(0, 10, (n,), generator=generator, device=device)}


class ConditionalG(nn.Module):
    def __init__(self, z_dim: int = 4):
        super().__init__()
        self.embed, self.out = nn.Embedding(10, z_dim), nn.Linear(z_dim, 28 * 28)
        self.seen = []

    def forward(self, z, y=None):
        self.seen.append(y)
        return torch.tanh(self.out(z + self.embed(y))).view(-1, 1, 28, 28)


class ConditionalD(nn.Module):
    """A projection discriminator in miniature: logit = <h(x), embed(y)>."""

    def __init__(self):
        super().__init__()
        self.body, self.embed = nn.Linear(28 * 28, 6), nn.Embedding(10, 6)
        self.seen = []

    def forward(self, x, y=None):
        self.seen.append(y)
        h = self.body(x.flatten(1))
        return DOut(logit=(h * self.embed(y)).sum(1), features=h)


class TaggedBatches(Batches):
    def next(self):
        batch = super().next()
        return Batch(batch.x, batch.y, extras={"tag": "from the dataset"})


def test_batch_labels_reach_a_conditional_generator_and_discriminator():
    torch.manual_seed(0)
    images, labels = images_and_labels()
    g, d, recorder = ConditionalG(), ConditionalD(), Recorder()
    batches = TaggedBatches(images, BATCH, torch.Generator().manual_seed(1), labels)
    real_labels = labels[batches.order[:BATCH]]
    state = TrainState(g, d, LabelledNormal(None), torch.optim.Adam(g.parameters()), torch.optim.Adam(d.parameters()),
                       NonSaturatingLoss(), {"recorder": recorder}, batches, RngStreams(0, "cpu"), z_dim=4, n_critic=1)
    train_step(state)
    ctx = recorder.d_contexts[0]
    fake_labels = ctx.info["y"]
    assert torch.equal(ctx.y, real_labels) and ctx.extras == {"tag": "from the dataset"}
    assert [y is fake_labels for y in g.seen] == [True]               # G(z, y_fake), once
    assert torch.equal(d.seen[0], real_labels)                        # D(real, y)
    assert d.seen[1] is fake_labels and d.seen[2] is fake_labels      # D(fake, y_fake): D's update, then G's
    assert all(p.grad is not None for p in g.embed.parameters())      # the labels condition what G learns


# -- D's heads, once per batch -------------------------------------------------------------------------

def count_forwards(module: nn.Module) -> list:
    calls = []
    module.register_forward_pre_hook(lambda m, args: calls.append(torch.is_grad_enabled()))
    return calls


def test_discriminator_heads_are_computed_once_per_batch_and_shared_by_the_regularisers():
    state = state_for("maem_all")  # wgan, n_critic 2; disomap, dlle, rb_maem on a spectral-norm D
    calls = count_forwards(state.discriminator)
    train_step(state)
    # per critic update: D(real), D(fake) shared by the loss and the three terms, plus disomap's
    # D(mixture) and dlle's D(rotated real), D(rotated fake); then one D(fake) for G's loss and rb_maem
    # (before the shared heads: 9 per critic update and 2 in G's).
    assert len(calls) == 2 * 5 + 1


def test_generator_step_gets_a_fresh_context_of_the_last_critic_batch():
    recorder = Recorder()
    state = state_for("maem_baseline", {"recorder": recorder})
    train_step(state)
    last, g_ctx = recorder.d_contexts[-1], recorder.g_contexts[0]
    assert len(recorder.d_contexts) == 2 and g_ctx is not last
    assert g_ctx.real is last.real and g_ctx.z is last.z and g_ctx.fake is last.fake
    assert "real" in last._heads and g_ctx._heads.keys() == {"fake_for_g"}  # none of D's stale heads


# -- parameter ownership -------------------------------------------------------------------------------

class ClassifierHead(Hook):
    """A head on D's features trained by D's loss (ADC-GAN-like): joins D's Adam, or has its own."""

    def __init__(self, own_optimiser: bool):
        self.head = nn.Linear(16 * 7 * 7, 10)
        self.own = torch.optim.Adam(self.head.parameters(), lr=1e-3) if own_optimiser else None

    def parameters(self):
        return {} if self.own else {DISCRIMINATOR: list(self.head.parameters())}

    def optimizers(self):
        return {DISCRIMINATOR: [self.own]} if self.own else {}

    def discriminator_term(self, ctx):
        return F.cross_entropy(self.head(ctx.d_real.features.flatten(1)), ctx.y)


class LatentDecoder(Hook):
    """A network trained by G's loss (NEMGAN-like): recover z from G(z)."""

    def __init__(self, own_optimiser: bool):
        self.net = nn.Linear(28 * 28, 16)
        self.own = torch.optim.Adam(self.net.parameters(), lr=1e-3) if own_optimiser else None

    def parameters(self):
        return {} if self.own else {GENERATOR: list(self.net.parameters())}

    def optimizers(self):
        return {GENERATOR: [self.own]} if self.own else {}

    def generator_term(self, ctx):
        return F.mse_loss(self.net(ctx.fake.flatten(1)), ctx.z)


def adam_steps(opt: torch.optim.Optimizer, params) -> list[int]:
    return [int(opt.state[p]["step"]) for p in params]


@pytest.mark.parametrize("own_optimiser", [False, True])
def test_auxiliary_networks_train_with_the_net_they_declare(own_optimiser):
    torch.manual_seed(0)
    head, decoder = ClassifierHead(own_optimiser), LatentDecoder(own_optimiser)
    before = [p.detach().clone() for p in [*head.head.parameters(), *decoder.net.parameters()]]
    state = state_for("maem_baseline", {"head": head, "decoder": decoder})  # n_critic 2
    train_step(state)
    after = [*head.head.parameters(), *decoder.net.parameters()]
    assert all(not torch.equal(a, b) for a, b in zip(after, before))
    d_opt = head.own or state.opt_d
    g_opt = decoder.own or state.opt_g
    assert adam_steps(d_opt, head.head.parameters()) == [2, 2]       # every critic update
    assert adam_steps(g_opt, decoder.net.parameters()) == [1, 1]     # the generator update
    g_params = {id(p) for group in state.opt_g.param_groups for p in group["params"]}
    d_params = {id(p) for group in state.opt_d.param_groups for p in group["params"]}
    assert not {id(p) for p in head.head.parameters()} & g_params
    assert not {id(p) for p in decoder.net.parameters()} & d_params
    # joined as a param group of the net's own Adam (its lr and betas), or left to the hook's optimiser
    assert len(state.opt_d.param_groups) == len(state.opt_g.param_groups) == (1 if own_optimiser else 2)


# -- hooks ---------------------------------------------------------------------------------------------

class ConstantLatents(Hook):
    """Replaces every latent by one fixed vector (LOGAN would step z along grad_z D(G(z)))."""

    def prepare_latents(self, z, ctx):
        assert ctx.fake is None  # before G has consumed z
        self.z = torch.full_like(z, 0.5)
        return self.z


def test_before_z_hook_sets_the_latents_of_both_updates():
    recorder, constant = Recorder(), ConstantLatents()
    state = state_for("maem_dcgan", {"latents": constant, "recorder": recorder})
    plain = state_for("maem_dcgan")
    train_step(state)
    train_step(plain)
    d_ctx, g_ctx = recorder.d_contexts[-1], recorder.g_contexts[0]
    assert d_ctx.z is constant.z and g_ctx.z is constant.z
    # one latent for every sample: G (batch norm on the batch's statistics) makes one image
    assert torch.allclose(d_ctx.fake, d_ctx.fake[:1].expand_as(d_ctx.fake), atol=1e-6)
    assert g_ctx.fake is d_ctx.fake
    changed = lambda a, b: any(not torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))  # noqa: E731
    assert changed(state.discriminator, plain.discriminator) and changed(state.generator, plain.generator)


def test_ema_hook_averages_after_each_generator_step_and_is_exported(tmp_path):
    ema = GeneratorEMA(decay=0.5)
    state = state_for("maem_dcgan", {"ema": ema})
    train_step(state)
    first = {k: v.clone() for k, v in state.generator.state_dict().items()}
    assert all(torch.equal(ema.average[k], v) for k, v in first.items())  # starts from G after update 1
    train_step(state)
    second = state.generator.state_dict()
    for k, v in second.items():
        expected = torch.lerp(first[k], v, 0.5) if v.is_floating_point() else v
        assert torch.equal(ema.average[k], expected)
    label, weights = ema.export_generator(state.generator)
    assert label == "ema" and weights.keys() == second.keys()


def test_train_writes_the_exported_weights_into_the_generator_file(tmp_path):
    from ganpriors.io import save_tensors
    from ganpriors.priors.fitting import fit_prior
    from ganpriors.train import train

    images, labels = images_and_labels(96)
    data = tmp_path / "data.safetensors"
    to_uint8 = lambda x: ((x + 1) * 127.5).round().to(torch.uint8)  # noqa: E731
    save_tensors(data, {"train_images": to_uint8(images), "train_labels": labels,
                        "test_images": to_uint8(images), "test_labels": labels.clone()})
    run = tiny_run("maem_dcgan", steps=4, log_every=2, checkpoint_every=100)
    prior = tmp_path / "prior.safetensors"
    fit_prior(run.prior, prior, tmp_path / "prior.json", run.model.z_dim)
    ema = GeneratorEMA(decay=0.9)
    train(run, 0, data, prior, tmp_path / "ema", tmp_path / "ck", progress=False, hooks={"ema": ema})
    train(run, 0, data, prior, tmp_path / "raw", tmp_path / "ck", progress=False)
    ema_tensors, ema_meta = load_tensors(tmp_path / "ema/generator.safetensors")
    raw_tensors, raw_meta = load_tensors(tmp_path / "raw/generator.safetensors")
    assert ema_meta["generator_weights"] == "ema" and "generator_weights" not in raw_meta
    assert ema_tensors.keys() == raw_tensors.keys()
    assert all(torch.equal(ema_tensors[k], v) for k, v in ema.average.items())
    assert any(not torch.equal(ema_tensors[k], raw_tensors[k]) for k in raw_tensors)
    model = TrainedModel.load(tmp_path / "ema/generator.safetensors", prior)
    assert model.sample(3, torch.Generator().manual_seed(0)).shape == (3, 1, 28, 28)


def test_a_hook_must_name_the_net_its_parameters_train_with():
    class Misnamed(Hook):
        def parameters(self):
            return {"critic": [nn.Parameter(torch.zeros(1))]}

    with pytest.raises(ValueError, match="keyed by the net it trains with"):
        state_for("maem_dcgan", {"misnamed": Misnamed()})


def test_two_exporting_hooks_are_an_error():
    state = state_for("maem_dcgan", {"a": GeneratorEMA(), "b": GeneratorEMA()})
    train_step(state)
    from ganpriors.train.hooks import exported_generator

    with pytest.raises(ValueError, match="at most one may"):
        exported_generator(state.hooks, state.generator)


# -- TrainState and the random streams ---------------------------------------------------------------

class NoisyLatents(Hook):
    """Jitters z from a named stream of the run, created on first use."""

    def prepare_latents(self, z, ctx):
        return z + 0.01 * torch.randn(z.shape, generator=ctx.rngs.get("latent_noise"))


@pytest.mark.parametrize("name", ["maem_all", "sg_genes"])
def test_train_state_round_trip_resumes_bitwise(name):
    """Three steps, state_dict through torch.save, a fresh state from it, three more steps: the
    same as six uninterrupted steps (nets, optimisers, streams, hooks, batch order)."""
    hooks = lambda: {"ema": GeneratorEMA(0.9), "noise": NoisyLatents()}  # noqa: E731
    full = state_for(name, hooks())
    for _ in range(3):
        train_step(full)
        full.step += 1
    saved = saved_and_loaded(full.state_dict())
    assert "latent_noise" in saved["rngs"]
    resumed = state_for(name, hooks(), checkpoint=saved)
    assert resumed.step == 3 and same(resumed.state_dict(), full.state_dict())
    for state in (full, resumed):
        for _ in range(3):
            train_step(state)
            state.step += 1
    assert same(resumed.state_dict(), full.state_dict())
    assert not same(state_for(name).state_dict()["generator"], full.state_dict()["generator"])


def test_named_streams_keep_the_historical_seeds_and_salt_new_names():
    assert [stream_seed(n, 5) for n in ("data", "z", "loss", "snapshot")] == [10, 11, 12, 13]
    assert stream_seed("latent_steps", 5) != stream_seed("latent_steps", 6) != stream_seed("ema", 5)
    streams = RngStreams(5, "cpu")
    first = torch.rand(3, generator=streams.get("latent_steps"))
    state = saved_and_loaded(streams.state_dict())
    again = RngStreams(5, "cpu")
    again.load_state_dict(state)  # restored before the stream is first asked for
    assert torch.equal(torch.rand(3, generator=streams.get("latent_steps")),
                       torch.rand(3, generator=again.get("latent_steps")))
    assert not torch.equal(first, torch.rand(3, generator=RngStreams(5, "cpu").get("z")))
