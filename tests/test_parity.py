"""Snakemake and DVC must declare the same DAG: stages (commands), inputs, outputs and params keys,
and both must be the DAG of the pipeline description (ganpriors.pipeline.stages) they are built from."""
from __future__ import annotations

import re

import pytest

from ganpriors.config import STAGE_PARAMS

from conftest import ROOT, make_workspace
from pipeline_views import STAMPS, dvc_jobs, dvc_stamp_stage, snakemake_jobs


def covered(path: str, deps: set[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in deps)


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("parity"), params=ROOT / "params.yaml", dvc=True)
    smk = snakemake_jobs(ws)  # (which writes the params stamps, as any Snakemake run does)
    return smk, dvc_jobs(ws), ws


def test_same_jobs_with_the_same_commands(views):
    smk, dvc, _ = views
    assert set(smk) == set(dvc), (
        f"only in Snakemake: {sorted(set(smk) - set(dvc))}\nonly in DVC: {sorted(set(dvc) - set(smk))}")
    # params.yaml: 46 runs x 3 seeds; 6 studies (a report and a summary each), three of them (25 runs) with a probe
    # stage; the claims table
    stages = [job.stage for job in smk.values()]
    assert {s: stages.count(s) for s in set(stages)} == {
        "download": 1, "prepare": 1, "classifier": 1, "real-features": 1, "report": 6, "summarise": 6,
        "fit-prior": 46, "train": 138, "evaluate": 138, "probe": 75, "claims": 1}


def test_both_tools_run_the_described_jobs(views):
    from ganpriors.config import load_params
    from ganpriors.pipeline.stages import jobs

    smk, dvc, _ = views
    described = {job.cmd: job for job in jobs(load_params(ROOT / "params.yaml"))}
    assert set(described) == set(smk) == set(dvc)
    for cmd, job in described.items():
        assert job.outputs == smk[cmd].outputs == dvc[cmd].outputs, cmd
        assert set(job.params) == dvc[cmd].params, cmd


def test_same_outputs(views):
    smk, dvc, _ = views
    for cmd, job in smk.items():
        assert job.outputs == dvc[cmd].outputs, cmd


def test_same_inputs(views):
    smk, dvc, _ = views
    for cmd, job in smk.items():
        deps = dvc[cmd].inputs
        # Both tools depend on the same params stamp (its keys are checked below).
        stamps = {p for p in job.inputs if p.startswith(STAMPS)}
        assert stamps == ({dvc[cmd].stamp} if dvc[cmd].stamp else set()), cmd
        job.inputs = job.inputs - stamps
        missing = [p for p in job.inputs if not covered(p, deps)]
        unused = [d for d in deps if not any(covered(p, {d}) for p in job.inputs)]
        assert not missing and not unused, f"{cmd}: not declared in DVC {missing}; not in Snakemake {unused}"


def test_dvc_params_keys_are_the_stage_params(views):
    _, dvc, _ = views
    for cmd, job in dvc.items():
        expected = {k.format(**placeholders(cmd)) for k in STAGE_PARAMS[job.stage]}
        assert job.params == expected, cmd


def test_one_dvc_stage_reads_params_yaml(views):
    """stamp_params alone tracks params.yaml (all of it: `dvc params diff` and `dvc exp show` see
    every key) and writes the stamps; no other stage lists params (dvc_jobs asserts it), so `dvc
    status` parses params.yaml once, not once per stage."""
    _, dvc, ws = views
    cmd, params, outs = dvc_stamp_stage(ws)
    assert cmd == "ganpriors stamp-params --out-dir .ganpriors/params"
    assert params == {"params.yaml": []} and outs == {".ganpriors/params"}
    stamped = {job.stamp for job in dvc.values() if job.stamp}
    # download, classifier, real-features, evaluate; per run (46) fit-prior and train; per probed
    # run (25) its probe; per study (6) its report and its summary; the claims table
    assert len(stamped) == 4 + 46 + 46 + 25 + 6 + 6 + 1 and all((ws / s).is_file() for s in stamped)


def placeholders(cmd: str) -> dict:
    """The run and study a job's command is about (for the {run}/{study} keys of STAGE_PARAMS)."""
    run = re.search(r"--run (\S+)", cmd) or re.search(r"results/runs/([^/]+)/", cmd)
    study = re.search(r"--study (\S+)", cmd)
    return {"run": run.group(1) if run else "", "study": study.group(1) if study else ""}


def test_report_stages_depend_on_their_study_only(views):
    """A study's report reads only its own runs (or its own probe folder), so that editing a run
    reruns the reports of the studies that use it and no other."""
    from ganpriors.config import load_params
    from ganpriors.studies import has_probe

    params = load_params(ROOT / "params.yaml")
    _, dvc, _ = views
    for cmd, job in dvc.items():
        if job.stage != "report":
            continue
        study = params.studies[placeholders(cmd)["study"]]
        if not has_probe(study):
            expected = {f"results/{d}/{run}" for run in study.runs for d in ("runs", "priors")}
        else:
            expected = {f"results/probes/{placeholders(cmd)['study']}"}
        assert job.inputs == expected, cmd
