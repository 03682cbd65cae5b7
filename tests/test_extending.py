"""The "Extending" walk-through (docs/extending.md), step by step: a new prior (BigGAN's truncated normal), a
run that uses it, and a study that compares it with the Normal prior reach every stage of both
tools' declarations, train and are scored like any other run."""
from __future__ import annotations

from ganpriors.config.core import read_yaml

import math

import pytest
import torch
import yaml

from ganpriors import registry
from ganpriors.config import validate_params
from ganpriors.errors import GanpriorsError
from ganpriors.pipeline.dvc import dvc_yaml
from ganpriors.pipeline.stages import jobs
from ganpriors.priors import build_prior

from conftest import QUICK


def spec(threshold):
    return registry.PRIORS.spec("truncated_normal").model_validate({"kind": "truncated_normal", "threshold": threshold})


def test_step_1_the_prior_is_registered_by_its_spec_and_resamples():
    prior = build_prior(spec(0.5))
    z = prior.sample(20000, 8, torch.Generator().manual_seed(0))
    assert z.shape == (20000, 8) and float(z.abs().max()) <= 0.5
    # Resampling (not clamping): no mass piles up at the threshold, and E|z| matches the truncated
    # normal's: sqrt(2/pi) (1 - exp(-t^2/2)) / erf(t/sqrt 2).
    assert float((z.abs() > 0.499).float().mean()) < 0.01
    t = 0.5
    expected = math.sqrt(2 / math.pi) * (1 - math.exp(-t * t / 2)) / math.erf(t / math.sqrt(2))
    assert float(z.abs().mean()) == pytest.approx(expected, rel=0.01)
    same = build_prior(spec(0.5)).sample(100, 8, torch.Generator().manual_seed(0))
    assert torch.equal(same, build_prior(spec(0.5)).sample(100, 8, torch.Generator().manual_seed(0)))


def _with_truncation_study() -> dict:
    raw = read_yaml(QUICK)
    raw["runs"]["truncated"] = {"prior": {"kind": "truncated_normal", "threshold": 1.0}}      # step 2
    raw["studies"]["truncation"] = {"kind": "prior_vs_midpoint", "runs": ["normal", "truncated"]}  # step 3
    return raw


def test_steps_2_and_3_the_run_and_study_reach_both_declarations():
    params = validate_params(_with_truncation_study())
    cmds = [job.cmd for job in jobs(params)]
    for stage in ("fit-prior", "train", "evaluate"):
        assert any(c.startswith(f"ganpriors {stage} ") and "truncated" in c for c in cmds), stage
    assert any(c.startswith("ganpriors report --study truncation ") for c in cmds)
    stages = yaml.safe_load(dvc_yaml(params))["stages"]
    assert set(stages["report_truncation"]["deps"]) == {"results/runs/normal", "results/runs/truncated",
                                                        "results/priors/normal", "results/priors/truncated",
                                                        ".ganpriors/params/report-truncation.json"}


def test_the_new_run_trains(tmp_path, fashion_mnist):
    from ganpriors.priors.fitting import fit_prior
    from ganpriors.train import train

    raw = _with_truncation_study()
    raw["defaults"]["train"].update(steps=4, log_every=2, checkpoint_every=2)
    run = validate_params(raw).resolve_run("truncated")
    summary = fit_prior(run.prior, tmp_path / "prior.safetensors", tmp_path / "prior.json", run.model.z_dim)
    assert summary["spec"]["kind"] == "truncated_normal" and summary["midpoint_kl"] > 0
    result = train(run, 0, fashion_mnist, tmp_path / "prior.safetensors", tmp_path / "run", tmp_path / "ckpt",
                   progress=False)
    assert result["status"] == "completed" and result["prior"] == {"kind": "truncated_normal", "threshold": 1.0}


@pytest.mark.parametrize("threshold", [0.0, -1.0])
def test_a_threshold_that_is_not_positive_is_one_line(threshold):
    raw = _with_truncation_study()
    raw["runs"]["truncated"]["prior"]["threshold"] = threshold
    with pytest.raises(GanpriorsError) as err:
        validate_params(raw)
    assert f"runs.truncated.prior.threshold = {threshold}: Input should be greater than 0" in str(err.value)
