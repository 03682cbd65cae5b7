"""MaEM-GAN and the mode-coverage benchmarks inside the training loop: embedding discriminator,
WGAN losses over m outputs, benchmark datasets, snapshots, bitwise resume, and config checks."""
from __future__ import annotations

from ganpriors.config.core import read_yaml


import pytest
import torch

from ganpriors.config import load_params, validate_params
from ganpriors.errors import GanpriorsError
from ganpriors.io import load_tensors, save_tensors
from ganpriors.losses import WassersteinGPLoss, WassersteinLoss
from ganpriors.nets.dcgan import DCGANDiscriminator
from ganpriors.priors.fitting import fit_prior
from ganpriors.artifacts import load_generator, load_trace
from ganpriors.train import train
from ganpriors.train.context import StepContext
from ganpriors.train.state import snapshot_steps

from conftest import ROOT

QUICK_MODES = ROOT / "configs" / "quick_mode_collapse.yaml"


@pytest.fixture
def tiny(tmp_path):
    """The quick mode-collapse params, a synthetic prepared dataset (labelled by brightness)."""
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (300,), generator=g)
    images = (labels.view(-1, 1, 1, 1) * 25 + torch.randint(0, 5, (300, 1, 28, 28), generator=g)).to(torch.uint8)
    save_tensors(tmp_path / "data.safetensors", {"train_images": images, "train_labels": labels,
                                                 "test_images": images.clone(), "test_labels": labels.clone()})
    return tmp_path, load_params(QUICK_MODES)


def _train(params, name, root, out, **overrides):
    run = params.resolve_run(name)
    run = run.model_copy(update={"train": run.train.model_copy(update={"steps": 40, "checkpoint_every": 10,
                                                                        "batch_size": 16, **overrides})})
    prior = root / f"{name}.safetensors"
    if not prior.exists():
        fit_prior(run.prior, prior, root / f"{name}.json", run.model.z_dim)
    return run, prior, train(run, 0, root / "data.safetensors", prior, root / out, root / "ck", progress=False)


@pytest.mark.parametrize("name", ["maem_all", "ring_maem", "stacked_maem"])
def test_maem_runs_resume_bitwise(tiny, name, monkeypatch):
    """Replay buffers, the regularisers' random streams, the benchmark data stream and the snapshots
    taken so far are all in the checkpoint: a run killed after step 20 ends bit for bit like an
    uninterrupted one."""
    import ganpriors.train.loop as training

    root, params = tiny
    _train(params, name, root, "full")
    saved, original = [], training.save_checkpoint

    def save_then_die(path, state):
        original(path, state)
        saved.append(state["step"])
        if len(saved) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(training, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        _train(params, name, root, "resumed")
    monkeypatch.setattr(training, "save_checkpoint", original)
    _, _, resumed = _train(params, name, root, "resumed")
    assert resumed["resumed_from_step"] == 20
    assert (root / "full/generator.safetensors").read_bytes() == (root / "resumed/generator.safetensors").read_bytes()
    log = lambda p: [r.split(",")[:5] + r.split(",")[6:] for r in (root / p).read_text().splitlines()]  # noqa: E731
    assert log("full/train_log.csv") == log("resumed/train_log.csv")
    header = (root / "full/train_log.csv").read_text().splitlines()[0]
    assert {"rb_maem_cos", "dlle_loss", "disomap_loss"} <= set(header.split(","))


def test_two_d_run_records_snapshots_and_loads_back(tiny):
    root, params = tiny
    run, prior, summary = _train(params, "ring_gan", root, "ring")
    assert summary["dataset"]["kind"] == "gaussian_ring"
    trace = load_trace(root / "ring/generator.safetensors")
    assert sorted(trace) == snapshot_steps(run) == [0, 13, 27, 40]  # 3 snapshots of 40 steps, plus step 0
    assert all(v.shape == (run.dataset.snapshot_samples, 2) for v in trace.values())
    assert not torch.equal(trace[0], trace[40])  # the generator moved
    generator, meta = load_generator(root / "ring/generator.safetensors")  # trace keys are not weights
    z = torch.randn(5, run.model.z_dim)
    assert generator(z).shape == (5, 2)


def test_stacked_batches_are_three_independent_training_images(tiny):
    from ganpriors.data.benchmarks import StackedData
    from ganpriors.data.datasets import to_unit_range

    root, params = tiny
    spec = params.resolve_run("stacked_gan").dataset
    data = StackedData(spec, root / "data.safetensors", "cpu")
    batch = data.batches(64, torch.Generator().manual_seed(1)).next()
    assert batch.shape == (64, 3, 28, 28)
    base = to_unit_range(load_tensors(root / "data.safetensors")[0]["train_images"]).flatten(1)
    for channel in range(3):
        hits = (batch[:, channel].flatten(1)[:, None, :] == base[None]).all(-1).any(1)
        assert hits.all()  # every channel is one real training image
    assert not torch.equal(batch[:, 0], batch[:, 1])


def test_wasserstein_losses_average_the_embedding():
    torch.manual_seed(0)
    d = DCGANDiscriminator(4, 1, "spectral", outputs=16)
    real, fake = torch.rand(8, 1, 28, 28) * 2 - 1, torch.rand(8, 1, 28, 28) * 2 - 1
    d.eval()  # no power iteration between the calls below
    context = lambda critic: StepContext(0, real, None, {}, fake, None, critic, None)  # noqa: E731
    ctx = context(d)
    loss = WassersteinLoss().discriminator_loss(ctx)
    assert ctx.d_real.logit.shape == (8, 16)
    assert torch.allclose(loss, d(fake).logit.mean() - d(real).logit.mean())

    class Averaged(torch.nn.Module):  # the one-output critic that the m-output one stands for
        def forward(self, x):
            return d(x).logit.mean(1)

    rng = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    multi = WassersteinGPLoss(10.0, rng()).discriminator_loss(context(d))
    single = WassersteinGPLoss(10.0, rng()).discriminator_loss(context(Averaged()))
    assert torch.allclose(multi, single, atol=1e-6)


def test_spectral_norm_bounds_every_layer():
    torch.manual_seed(0)
    d = DCGANDiscriminator(8, 3, "spectral", outputs=16)
    for _ in range(30):  # power iterations
        d(torch.randn(4, 3, 28, 28))
    for module in d.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            sigma = torch.linalg.matrix_norm(module.weight.detach().flatten(1), ord=2).item()
            assert sigma == pytest.approx(1.0, abs=0.05)


def _edited(edit) -> dict:
    raw = read_yaml(QUICK_MODES)
    edit(raw["runs"])
    return raw


@pytest.mark.parametrize("edit, message", [
    (lambda r: r["ring_gan"]["model"].update(net="dcgan"),
     "runs.ring_gan: model.net 'dcgan' does not fit the data: use net mlp for the 2-D"),
    (lambda r: r["maem_iso"]["model"].update(d_outputs=1),
     "regulariser disomap compares embedding directions (cosine): set model.d_outputs"),
    (lambda r: r["stacked_gan"].update(view={"groups": [[0], [1]]}),
     "dataset stacked cannot be combined with a view or mode_matching"),
    (lambda r: r["ring_gan"]["dataset"].update(kind="spiral"),
     "runs.ring_gan.dataset.kind = 'spiral': unknown dataset (allowed: gaussian_ring, gaussian_grid, stacked)"),
    (lambda r: r["ring_gan"]["dataset"].update(radiu=2.0),
     "unknown key runs.ring_gan.dataset.radiu (value 2.0): did you mean radius? (allowed keys here: eval_samples, kind,"),
    (lambda r: r["ring_gan"]["model"].update(d_norm="batch"),
     "the mlp discriminator supports none or spectral"),
    (lambda r: r["ring_maem"]["regularisers"]["rb_maem"].update(buffer=3),
     "unknown key rb_maem.buffer (value 3): did you mean buffer_size? (allowed keys here: buffer_size, norm_weight,"),
])
def test_bad_mode_collapse_params_are_one_line_errors(edit, message):
    with pytest.raises(GanpriorsError) as err:
        validate_params(_edited(edit))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_paper_rows_must_name_study_runs():
    raw = read_yaml(QUICK_MODES)
    raw["studies"]["maemgan"]["paper_rows"]["ring_gan"] = "all"
    with pytest.raises(GanpriorsError, match="paper_rows: 'ring_gan' is not one of the study's runs"):
        validate_params(raw)
