"""The survey's class-conditional systems through the real training code (a few steps and a bitwise
resume each), and their hooks and prior against hand computations: orthogonal regularisation,
the EMA of weights and batch-norm statistics (averaged or standing), the truncated normal, and
ADC-GAN's label layout and losses (tiny nets, CPU)."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from ganpriors import registry
from ganpriors.nets.heads import DOut
from ganpriors.priors import build_prior
from ganpriors.regularisers.adc import fake_index, real_index
from ganpriors.regularisers.ema import standing_statistics
from ganpriors.regularisers.orthogonal import off_diagonal_penalty, regularised_weights
from ganpriors.train.batch import TrainingData
from ganpriors.train.state import TrainState
from ganpriors.train.step import train_step

from survey_runs import CONDITIONAL, RUNS, images_and_labels, survey_run
from state_helpers import write_tiny_dataset
from state_helpers import assert_resumes_bitwise, same, saved_and_loaded, steps


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


def state_of(run, checkpoint=None) -> TrainState:
    data = TrainingData(*images_and_labels(), n_groups=10)
    return TrainState.create(run, 0, data, build_prior(run.prior), "cpu", checkpoint)


# -- every system trains and resumes bit for bit ----------------------------------------------------------

@pytest.mark.parametrize("name", CONDITIONAL)
def test_system_trains_and_resumes_bitwise(name):
    run = survey_run(name)
    full = assert_resumes_bitwise(lambda checkpoint: state_of(run, checkpoint))
    assert list(full.hooks)[0] == "labels" and set(full.hooks) == {"labels", *run.regularisers}


def test_two_learning_rates_and_adc_head_in_ds_optimiser():
    state = state_of(survey_run("sagan"))
    assert state.opt_d.param_groups[0]["lr"] == 4.0e-4 and state.opt_g.param_groups[0]["lr"] == 1.0e-4
    assert state.opt_d.param_groups[0]["betas"] == (0.0, 0.9)
    adc = state_of(survey_run("adc"))
    head = {id(p) for p in adc.hooks["adc"].head.parameters()}
    assert head == {id(p) for p in adc.opt_d.param_groups[1]["params"]}
    assert not head & {id(p) for g in adc.opt_g.param_groups for p in g["params"]}
    assert adc.discriminator.embed is None  # d_projection: false, as ADC-GAN's official D


# -- orthogonal regularisation -----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 3, 3)])
def test_orthogonal_gradient_is_the_closed_form(shape):
    beta = 1.0e-4
    w = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    (beta * off_diagonal_penalty(w)).backward()
    m = w.detach().flatten(1)
    gram = m @ m.T
    closed = 4 * beta * (gram * (1 - torch.eye(len(m), dtype=m.dtype))) @ m
    assert torch.allclose(w.grad.flatten(1), closed)
    assert off_diagonal_penalty(torch.eye(3)) == 0 and off_diagonal_penalty(3 * torch.eye(3)) == 0  # norms are free


def test_orthogonal_term_covers_gs_matrices_but_not_the_shared_embedding():
    run = survey_run("biggan")
    state = state_of(run)
    names = [n for n, _ in regularised_weights(state.generator)]
    assert names and not any(n.startswith("shared.") for n in names)
    assert all(p.dim() >= 2 for _, p in regularised_weights(state.generator))
    assert any(n.endswith("parametrizations.weight.original") for n in names)  # SN layers: the raw weight
    hook = state.hooks["orthogonal"]
    ctx = SimpleNamespace(generator=state.generator)
    expected = 1.0e-4 * sum(off_diagonal_penalty(p) for _, p in regularised_weights(state.generator))
    assert torch.allclose(hook.generator_term(ctx), expected)


# -- EMA of weights and batch-norm statistics --------------------------------------------------------------

class TinyG(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear, self.bn = nn.Linear(3, 4), nn.BatchNorm1d(4)

    def forward(self, z, y=None):
        return self.bn(self.linear(z))


def test_ema_averages_weights_and_batch_norm_statistics():
    from ganpriors.regularisers.specs import GeneratorAverageSettings

    run = survey_run("biggan")
    options = GeneratorAverageSettings(decay=0.75, start=1, bn_stats="average")
    ema = registry.resolve(registry.REGULARISERS, "ema")(options, run=run, prior=build_prior(run.prior), data=None,
                                                          image_shape=(1, 28, 28), device="cpu", seed=0)
    g = TinyG()
    history = []
    for step in range(3):
        g(torch.randn(6, 3))  # moves the running statistics
        with torch.no_grad():
            g.linear.weight.add_(1.0)
        ema.after_g_step(SimpleNamespace(step=step, generator=g))
        history.append({k: v.clone() for k, v in g.state_dict().items()})
    # step 0 < start: a copy; then average <- 0.75 average + 0.25 weights, buffers included
    for k, v in history[2].items():
        if v.is_floating_point():
            expected = 0.75 * (0.75 * history[0][k] + 0.25 * history[1][k]) + 0.25 * v
            assert torch.allclose(ema.average[k], expected), k
        else:
            assert torch.equal(ema.average[k], v)  # num_batches_tracked: copied
    assert {"bn.running_mean", "bn.running_var"} <= ema.average.keys()
    label, weights = ema.export_generator(g)
    assert label == "ema" and all(torch.equal(weights[k], ema.average[k]) for k in weights)


def test_standing_statistics_are_the_averaged_batch_statistics_of_the_averaged_weights():
    torch.manual_seed(0)
    g = TinyG()
    averaged = {k: v + 0.5 if k == "linear.weight" else v.clone() for k, v in g.state_dict().items()}
    batches = [torch.randn(5, 3) for _ in range(3)]
    it = iter(batches)
    out = standing_statistics(g, averaged, lambda: (next(it), None), 3)
    h = [z @ averaged["linear.weight"].T + averaged["linear.bias"] for z in batches]
    assert torch.allclose(out["bn.running_mean"], torch.stack([x.mean(0) for x in h]).mean(0), atol=1e-6)
    assert torch.allclose(out["bn.running_var"], torch.stack([x.var(0) for x in h]).mean(0), atol=1e-6)
    assert torch.equal(out["linear.weight"], averaged["linear.weight"]) and int(out["bn.num_batches_tracked"]) == 3
    assert g.bn.momentum == 0.1 and int(g.bn.num_batches_tracked) == 0  # the live G is untouched


def test_ema_export_of_a_trained_biggan_is_reproducible_and_keeps_gs_keys():
    run = survey_run("biggan")
    state = state_of(run)
    steps(state, 2)
    ema = state.hooks["ema"]
    label, first = ema.export_generator(state.generator)
    _, again = ema.export_generator(state.generator)
    assert label == "ema-standing-stats" and first.keys() == state.generator.state_dict().keys()
    assert all(torch.equal(first[k], again[k]) for k in first)
    means = [k for k in first if k.endswith("running_mean")]
    assert means and any(not torch.allclose(first[k], ema.average[k]) for k in means)


# -- the truncated normal (BigGAN's truncation trick) ------------------------------------------------------

@pytest.mark.parametrize("threshold", [0.5, 1.0, 2.0])
def test_truncated_normal_resamples_within_the_threshold_with_the_truncated_distribution(threshold):
    from scipy import stats

    spec = registry.PRIORS.spec("truncated_normal").model_validate({"kind": "truncated_normal", "threshold": threshold})
    z = build_prior(spec).sample(4000, 5, torch.Generator().manual_seed(0))
    assert z.shape == (4000, 5) and float(z.abs().max()) <= threshold
    result = stats.kstest(z.flatten().double().numpy(), stats.truncnorm(-threshold, threshold).cdf)
    assert result.pvalue > 1e-3
    var = 1 - 2 * threshold * math.exp(-threshold ** 2 / 2) / (math.sqrt(2 * math.pi) * math.erf(threshold / math.sqrt(2)))
    assert float(z.var()) == pytest.approx(var, rel=0.05)


@pytest.mark.parametrize("threshold", [0.0, -0.5])
def test_a_truncation_threshold_that_is_not_positive_is_one_line(threshold):
    from ganpriors.config import validate_params
    from ganpriors.errors import GanpriorsError

    from survey_runs import raw_params

    with pytest.raises(GanpriorsError) as err:
        validate_params(raw_params(trunc={**RUNS["biggan"], "prior": {"kind": "truncated_normal",
                                                                      "threshold": threshold}}))
    assert str(err.value) == (f"params.yaml: runs.trunc.prior.threshold = {threshold}: Input should be greater "
                              "than 0")


# -- ADC-GAN -------------------------------------------------------------------------------------------------

def test_adc_label_layout_is_interleaved():
    y = torch.tensor([0, 1, 4, 9])
    assert real_index(y).tolist() == [0, 2, 8, 18] and fake_index(y).tolist() == [1, 3, 9, 19]


def test_adc_terms_by_hand():
    run = survey_run("adc", regularisers={"adc": {"d_weight": 0.5, "g_weight": 2.0}})
    hook = state_of(run).hooks["adc"]
    hook.head.eval()  # fixed normalised weight for the hand computation
    w, b = hook.head.weight.detach(), hook.head.bias.detach()
    assert w.shape == (20, 16)  # 2K logits on D's 2 * d_channels features
    torch.manual_seed(0)
    f_real, f_fake = torch.randn(4, 16), torch.randn(4, 16)
    y, y_fake = torch.tensor([1, 0, 9, 3]), torch.tensor([2, 2, 5, 0])
    ctx = SimpleNamespace(d_real=DOut(logit=None, features=f_real), d_fake=DOut(logit=None, features=f_fake),
                          d_fake_for_g=DOut(logit=None, features=f_fake), y=y, y_fake=y_fake)

    def nll(f, index):  # -log softmax(W f + b)[index], averaged
        logp = torch.log_softmax(f @ w.T + b, dim=1)
        return -torch.stack([logp[i, index[i]] for i in range(len(index))]).mean()

    d_expected = 0.5 * (nll(f_real, [2 * int(c) for c in y]) + nll(f_fake, [2 * int(c) + 1 for c in y_fake]))
    g_expected = 2.0 * (nll(f_fake, [2 * int(c) for c in y_fake]) - nll(f_fake, [2 * int(c) + 1 for c in y_fake]))
    assert torch.allclose(hook.discriminator_term(ctx), d_expected, atol=1e-6)
    assert torch.allclose(hook.generator_term(ctx), g_expected, atol=1e-6)
    assert F.cross_entropy(f_fake @ w.T + b, fake_index(y_fake)) > 0


def test_biggan_through_the_training_loop_exports_the_ema_with_standing_stats(tmp_path):
    from ganpriors.artifacts import TrainedModel
    from ganpriors.io import load_tensors
    from ganpriors.priors.fitting import fit_prior
    from ganpriors.train import train

    run = survey_run("biggan", train={**RUNS["biggan"]["train"], "steps": 3, "log_every": 1, "checkpoint_every": 2})
    write_tiny_dataset(tmp_path / "data.safetensors")
    prior = tmp_path / "prior.safetensors"
    fit_prior(run.prior, prior, tmp_path / "prior.json", run.model.z_dim)
    summary = train(run, 0, tmp_path / "data.safetensors", prior, tmp_path / "out", tmp_path / "ck", progress=False)
    assert summary["generator_weights"] == "ema-standing-stats" and summary["classes"] == 10
    assert (tmp_path / "out/train_log.csv").read_text().splitlines()[0] == "step,loss_d,loss_g,d_real,d_fake,orthogonal"
    _, meta = load_tensors(tmp_path / "out/generator.safetensors")
    assert meta["regularisers"]["ema"]["bn_stats"] == "standing"
    model = TrainedModel.load(tmp_path / "out/generator.safetensors", prior)
    assert model.sample(5, torch.Generator().manual_seed(0), y=torch.full((5,), 7)).shape == (5, 1, 28, 28)
