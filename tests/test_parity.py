"""Snakemake and DVC must declare the same DAG: stages (commands), inputs, outputs and params keys."""
from __future__ import annotations

import re

import pytest

from ganpriors.config import STAGE_PARAMS

from conftest import ROOT, make_workspace
from pipeline_views import dvc_jobs, snakemake_jobs


def covered(path: str, deps: set[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in deps)


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("parity"), params=ROOT / "params.yaml", dvc=True)
    return snakemake_jobs(ws), dvc_jobs(ws)


def test_same_jobs_with_the_same_commands(views):
    smk, dvc = views
    assert set(smk) == set(dvc), (
        f"only in Snakemake: {sorted(set(smk) - set(dvc))}\nonly in DVC: {sorted(set(dvc) - set(smk))}")
    # 1 download, 1 prepare, 1 classifier, 1 real-features, 1 report, 5 fit-prior, 15 train, 15 evaluate
    stages = [job.stage for job in smk.values()]
    assert {s: stages.count(s) for s in set(stages)} == {
        "download": 1, "prepare": 1, "classifier": 1, "real-features": 1, "report": 1,
        "fit-prior": 5, "train": 15, "evaluate": 15}


def test_same_outputs(views):
    smk, dvc = views
    for cmd, job in smk.items():
        assert job.outputs == dvc[cmd].outputs, cmd


def test_same_inputs(views):
    smk, dvc = views
    for cmd, job in smk.items():
        deps = dvc[cmd].inputs
        # Snakemake's params stamps are its counterpart of DVC's params deps (checked below).
        inputs = {p for p in job.inputs if not p.startswith(".ganpriors/params/")}
        assert len(job.inputs) - len(inputs) == (1 if dvc[cmd].params else 0), cmd
        job.inputs = inputs
        missing = [p for p in job.inputs if not covered(p, deps)]
        unused = [d for d in deps if not any(covered(p, {d}) for p in job.inputs)]
        assert not missing and not unused, f"{cmd}: not declared in DVC {missing}; not in Snakemake {unused}"


def test_dvc_params_keys_are_the_stage_params(views):
    _, dvc = views
    for cmd, job in dvc.items():
        run = re.search(r"--run (\S+)", cmd) or re.search(r"results/runs/([^/]+)/", cmd)
        expected = {k.format(run=run.group(1) if run else "") for k in STAGE_PARAMS[job.stage]}
        assert job.params == expected, cmd
