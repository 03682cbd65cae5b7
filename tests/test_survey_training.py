"""The unconditional survey systems through `train()` itself: a run interrupted right after a
checkpoint and resumed writes the same generator file and log, bit for bit, as an uninterrupted
one; the generator file loads and samples at the data's size."""
from __future__ import annotations

import pytest
import torch

from ganpriors.artifacts import TrainedModel
from ganpriors.priors.fitting import fit_prior

from state_helpers import write_tiny_dataset
from survey_runs import survey_train_run


@pytest.fixture
def data(tmp_path):
    return write_tiny_dataset(tmp_path / "data.safetensors", 48)


@pytest.mark.parametrize("name, columns", [
    ("wgan_clip", []), ("logan", ["logan_dz2"]), ("unet", ["cutmix_rate", "cutmix_consistency"])])
def test_interrupted_and_resumed_runs_end_bitwise_like_uninterrupted_ones(tmp_path, data, monkeypatch, name, columns):
    import ganpriors.train.loop as training
    from ganpriors.train import train

    run = survey_train_run(name, steps=4, log_every=1, checkpoint_every=2)
    run = run.model_copy(update={"threads": 1})
    prior = tmp_path / "prior.safetensors"
    fit_prior(run.prior, prior, tmp_path / "prior.json", run.model.z_dim)
    train(run, 0, data, prior, tmp_path / "full", tmp_path / "ck", progress=False)

    original = training.save_checkpoint

    def save_then_die(path, state):
        original(path, state)
        raise KeyboardInterrupt  # killed right after the checkpoint of step 2

    monkeypatch.setattr(training, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train(run, 0, data, prior, tmp_path / "resumed", tmp_path / "ck", progress=False)
    monkeypatch.setattr(training, "save_checkpoint", original)
    summary = train(run, 0, data, prior, tmp_path / "resumed", tmp_path / "ck", progress=False)

    assert summary["resumed_from_step"] == 2 and summary["status"] == "completed"
    for f in ("generator.safetensors", "train_log.csv"):
        assert (tmp_path / "full" / f).read_bytes() == (tmp_path / "resumed" / f).read_bytes(), f
    header = (tmp_path / "full/train_log.csv").read_text().splitlines()[0].split(",")
    assert header == ["step", "loss_d", "loss_g", "d_real", "d_fake"] + columns
    model = TrainedModel.load(tmp_path / "full/generator.safetensors", prior)
    samples = model.sample(3, torch.Generator().manual_seed(0))
    assert samples.shape == (3, 1, 28, 28) and torch.isfinite(samples).all()
