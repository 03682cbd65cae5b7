"""The class-conditional nets (SAGAN, BigGAN) and the conditioning seam, against hand computations:
self-attention's shapes and identity at gamma 0, the projection discriminator, conditional batch
norm centred at gain 1, BigGAN's hierarchical z; fake labels from the 'labels' stream; the
generator file's classes; and the one-line errors of bad settings (tiny nets, CPU)."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from ganpriors.config import ModelSettings, validate_params
from ganpriors.errors import GanpriorsError
from ganpriors.nets import build_nets
from ganpriors.nets.blocks import ConditionalBatchNorm, SelfAttention
from ganpriors.nets.conditional import BigGANGenerator

from state_helpers import write_tiny_dataset
from survey_runs import RUNS, images_and_labels, raw_params
from test_train_seams import Recorder


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


def model(net: str, **kw) -> ModelSettings:
    return ModelSettings.model_validate({"net": net, "z_dim": 16, "g_channels": 8, "d_channels": 8,
                                         "d_norm": "spectral", **kw})


# -- self-attention ------------------------------------------------------------------------------------

def test_self_attention_shapes_and_identity_at_gain_zero():
    torch.manual_seed(0)
    block = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8)
    weights, values = block.attention(x)
    assert weights.shape == (2, 64, 16) and values.shape == (2, 8, 16)  # N x N/4 keys; C/2 values
    assert block.query.weight.shape == block.key.weight.shape == (2, 16, 1, 1)  # C/8
    assert torch.allclose(weights.sum(-1), torch.ones(2, 64))          # softmax over the keys
    assert block.gamma.item() == 0.0 and torch.equal(block(x), x)      # exactly the identity at init


def test_self_attention_output_by_hand():
    torch.manual_seed(1)
    block = SelfAttention(8).eval()
    with torch.no_grad():
        block.gamma.fill_(0.7)
    x = torch.randn(1, 8, 4, 4)
    q = F.conv2d(x, block.query.weight).flatten(2)[0]                   # 1 x 16
    k = F.max_pool2d(F.conv2d(x, block.key.weight), 2).flatten(2)[0]    # 1 x 4
    v = F.max_pool2d(F.conv2d(x, block.value.weight), 2).flatten(2)[0]  # 4 x 4
    o = torch.zeros(4, 16)
    for n in range(16):
        w = torch.softmax(torch.stack([q[:, n] @ k[:, m] for m in range(4)]), 0)
        o[:, n] = sum(w[m] * v[:, m] for m in range(4))
    expected = x + 0.7 * F.conv2d(o.view(1, 4, 4, 4), block.out.weight)
    assert torch.allclose(block(x), expected, atol=1e-6)


@pytest.mark.parametrize("net", ["sagan", "biggan"])
def test_attention_sits_where_the_setting_says(net):
    g, d = build_nets(model(net, attention=[8, 16]), (1, 28, 28), 10)
    assert set(g.attention) == set(d.attention) == {"8", "16"}
    assert g.attention["8"].query.weight.shape[1] == 32 and g.attention["16"].query.weight.shape[1] == 16  # 4c, 2c
    assert d.attention["16"].query.weight.shape[1] == 8 and d.attention["8"].query.weight.shape[1] == 16   # c, 2c
    z, y = torch.randn(4, 16), torch.randint(0, 10, (4,))
    assert g(z, y).shape == (4, 1, 28, 28) and d(g(z, y), y).logit.shape == (4,)
    g0, _ = build_nets(model(net), (1, 28, 28), 10)
    assert not g0.attention


# -- projection discriminator -------------------------------------------------------------------------

@pytest.mark.parametrize("projection", [True, False])
def test_projection_discriminator_is_psi_plus_embedding_inner_product(projection):
    torch.manual_seed(0)
    _, d = build_nets(model("sagan", d_projection=projection), (1, 28, 28), 10)
    d.eval()  # no power iteration: the normalised weights below are the forward's
    x, y = torch.rand(5, 1, 28, 28) * 2 - 1, torch.tensor([0, 3, 3, 9, 1])
    out = d(x, y)
    h = F.pad(x, (2, 2, 2, 2), value=-1.0)  # 28 -> 32, background -1
    for block in d.blocks:
        h = block(h)
    phi = F.relu(h).sum(dim=(2, 3))
    assert torch.allclose(out.features, phi)
    psi = phi @ d.psi.weight.T + d.psi.bias
    expected = psi.view(-1) + ((d.embed.weight[y] * phi).sum(1) if projection else 0)
    assert torch.allclose(out.logit, expected, atol=1e-5)
    if projection:
        with pytest.raises(ValueError, match="needs labels"):
            d(x)


# -- conditional batch norm ----------------------------------------------------------------------------

def test_conditional_batch_norm_gain_is_centred_at_one():
    torch.manual_seed(0)
    gain, bias = nn.Linear(6, 4, bias=False), nn.Linear(6, 4, bias=False)
    cbn = ConditionalBatchNorm(4, gain, bias)
    x, c = torch.randn(8, 4, 3, 3), torch.randn(8, 6)
    plain = F.batch_norm(x, None, None, training=True, eps=1e-5)
    nn.init.zeros_(gain.weight)
    nn.init.zeros_(bias.weight)
    assert torch.allclose(cbn(x, c), plain, atol=1e-6)  # zero embedding weights: plain batch norm
    with torch.no_grad():
        gain.weight.normal_()
        bias.weight.normal_()
    g, b = c @ gain.weight.T, c @ bias.weight.T
    assert torch.allclose(cbn(x, c), plain * (1 + g)[:, :, None, None] + b[:, :, None, None], atol=1e-5)


def test_sagan_batch_norms_start_as_plain_batch_norm_and_biggan_feeds_shared_embedding_and_z_chunks():
    torch.manual_seed(0)
    g, _ = build_nets(model("sagan"), (1, 28, 28), 10)
    cbns = [m for m in g.modules() if isinstance(m, ConditionalBatchNorm)]
    assert len(cbns) == 6 and all(not m.gain.weight.any() and not m.bias.weight.any() for m in cbns)

    g, _ = build_nets(model("biggan", shared_dim=5), (1, 28, 28), 10)
    assert isinstance(g, BigGANGenerator) and g.chunk == 4 and g.linear.weight.shape[1] == 4
    seen = []
    for block in g.blocks:
        block.bn1.gain.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    z, y = torch.randn(3, 16), torch.tensor([2, 7, 2])
    g(z, y)
    e = g.shared(y)
    assert len(seen) == 3
    for i, c in enumerate(seen):  # block i: [shared(y), chunk i + 1]
        assert torch.equal(c, torch.cat([e, z[:, 4 * (i + 1): 4 * (i + 2)]], 1))


# -- labels of the fakes, and the generator file -------------------------------------------------------

def test_fake_labels_come_from_the_labels_stream_and_the_other_streams_do_not_move():
    from ganpriors.priors import build_prior
    from ganpriors.train.batch import TrainingData
    from ganpriors.train.rngs import stream_seed
    from ganpriors.train.state import TrainState
    from ganpriors.train.step import train_step

    from survey_runs import survey_run

    run = survey_run("sagan")
    data = TrainingData(*images_and_labels(), n_groups=10)
    state = TrainState.create(run, 3, data, build_prior(run.prior), "cpu")
    assert list(state.hooks) == ["labels"]
    recorder = Recorder()
    state.hooks["recorder"] = recorder
    train_step(state)
    expected_y = torch.randint(10, (8,), generator=torch.Generator().manual_seed(stream_seed("labels", 3)))
    expected_z = torch.randn(8, 16, generator=torch.Generator().manual_seed(2 * 3 + 1))  # the 'z' stream
    assert torch.equal(recorder.d_contexts[0].y_fake, expected_y) and torch.equal(recorder.d_contexts[0].z, expected_z)


def test_the_generator_file_records_the_classes_and_samples_per_class(tmp_path):
    from ganpriors.artifacts import TrainedModel, run_record
    from ganpriors.priors.fitting import fit_prior
    from ganpriors.train import train

    from survey_runs import survey_run

    run = survey_run("sagan", train={**RUNS["sagan"]["train"], "steps": 2, "log_every": 1, "checkpoint_every": 100},
                     view={"groups": [[0, 1], [2], [3, 4, 5]]})
    assert run_record(run, 0, type("P", (), {"spec": run.prior})())["classes"] == 3
    write_tiny_dataset(tmp_path / "data.safetensors")
    prior = tmp_path / "prior.safetensors"
    fit_prior(run.prior, prior, tmp_path / "prior.json", run.model.z_dim)
    train(run, 0, tmp_path / "data.safetensors", prior, tmp_path / "out", tmp_path / "ck", progress=False)
    trained = TrainedModel.load(tmp_path / "out/generator.safetensors", prior)
    assert trained.classes == 3 and trained.meta["model"]["net"] == "sagan"
    z, info = trained.latents(6, torch.Generator().manual_seed(0))
    assert info["y"].min() >= 0 and info["y"].max() < 3
    per_class = [trained.sample(4, torch.Generator().manual_seed(1), y=torch.full((4,), k)) for k in range(3)]
    assert all(s.shape == (4, 1, 28, 28) for s in per_class)
    assert not torch.equal(per_class[0], per_class[2])  # same z, another class: another image


def test_unconditional_runs_get_no_labels_hook_and_no_classes():
    from ganpriors.artifacts import run_record
    from ganpriors.train.conditioning import conditioning_hooks

    run = validate_params(raw_params()).resolve_run("normal")
    assert conditioning_hooks(run) == {}
    assert "classes" not in run_record(run, 0, type("P", (), {"spec": run.prior})())
    assert not {"attention", "shared_dim", "d_projection"} & run.model.model_dump(exclude_defaults=True).keys()


# -- bad settings: one line each, at validation ----------------------------------------------------------

def one_line_error(name: str, definition: dict) -> str:
    with pytest.raises(GanpriorsError) as err:
        validate_params(raw_params(**{name: definition}))
    text = str(err.value)
    assert "\n" not in text
    return text


def with_model(base: str, **model_kw) -> dict:
    return {**RUNS[base], "model": {**RUNS[base]["model"], **model_kw}}


@pytest.mark.parametrize("net", ["sagan", "biggan"])
def test_a_conditional_net_on_unlabelled_data_is_one_line(net):
    text = one_line_error("ring_cond", {**with_model("sagan", net=net), "dataset": {"kind": "gaussian_ring"}})
    assert text == (f"params.yaml: runs.ring_cond: dataset.kind 'gaussian_ring' has no class labels, which "
                    f"model.net '{net}' (class-conditional) needs; allowed: no dataset (Fashion-MNIST, "
                    "optionally under a view)")


@pytest.mark.parametrize("definition, message", [
    (with_model("sagan", attention=[12]), "model.attention [12]: the sagan net has no 12 x 12 feature map in both "
                                          "G and D; allowed: 8, 16"),
    (with_model("biggan", attention=[32]), "model.attention [32]: the biggan net has no 32 x 32 feature map in both "
                                           "G and D; allowed: 8, 16"),
    (with_model("sagan", d_norm="batch"), "model.d_norm 'batch': the sagan net spectral-normalises G and D; "
                                          "set model.d_norm: spectral"),
    (with_model("biggan", z_dim=18), "model.z_dim 18 must be a multiple of 4: the biggan net splits z into 4 equal "
                                     "chunks (the first layer's, and one per G block)"),
    (with_model("sagan", net="dcgan", attention=[16], d_norm="batch"),
     "model.attention [16]: the dcgan net has no self-attention blocks; leave it empty or use net sagan or biggan"),
    ({**with_model("sagan", net="dcgan", d_norm="batch", attention=[]), "regularisers": {"adc": {}}},
     "regulariser adc classifies labelled real and generated images on D's pooled features: model.net 'dcgan' is "
     "not class-conditional with pooled features (allowed: biggan, sagan)"),
])
def test_bad_conditional_settings_are_one_line(definition, message):
    assert one_line_error("bad", definition) == f"params.yaml: runs.bad: {message}"


@pytest.mark.parametrize("key, value, message", [
    ("ema", {"decay": 1.0}, "ema.decay = 1.0: Input should be less than 1"),
    ("orthogonal", {"weight": -1.0}, "orthogonal.weight = -1.0: Input should be greater than or equal to 0"),
    ("ema", {"bn_stats": "running"}, "ema.bn_stats = 'running': Input should be 'standing' or 'average'"),
])
def test_bad_regulariser_options_are_one_line(key, value, message):
    text = one_line_error("bad", {**RUNS["biggan"], "regularisers": {key: value}})
    assert text.startswith("params.yaml: runs.bad.regularisers") and message in text


def test_the_run_examples_of_docs_survey_validate():
    import re

    import yaml

    from conftest import ROOT

    runs = {}
    for block in re.findall(r"```yaml\n(.*?)```", (ROOT / "docs/survey.md").read_text(), re.S):
        runs.update(yaml.safe_load(block))
    params = validate_params(raw_params(**runs))
    assert {name: params.resolve_run(name).model.net for name in runs} == {"sagan": "sagan", "biggan": "biggan",
                                                                            "adc": "biggan", "icgan": "icgan"}
