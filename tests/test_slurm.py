"""The study on a cluster: the quick configuration's first study with two of its priors (every stage
kind up to its report) run as Slurm jobs through workflow/profiles/slurm, on a single-node cluster started by the test.

One training job is cancelled on the cluster (`scancel`, as a preemption or a lost node would end
it): Snakemake reports it and resubmits it (the profile's `retries`), and the run ends with the same
files, byte for byte, as the local quick run. GPU stages ask for a gres, and Slurm sets
CUDA_VISIBLE_DEVICES for them. Skipped, with the reason, where the cluster cannot start (Slurm not
installed, not root, a real cluster's /etc/slurm/slurm.conf)."""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import QUICK, make_workspace, needs_dataset, write_dvc_yaml
from slurm_cluster import ClusterUnavailable, local_slurm
from test_e2e import comparable

pytestmark = [needs_dataset, pytest.mark.e2e]
TARGET = "report_nonparametric"
CANCELLED = "rule_train_wildcards_cauchy_1"  # the Slurm comment the plugin gives train[cauchy, 1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        with local_slurm(tmp_path_factory.mktemp("slurm-cluster")) as env:
            yield env
    except ClusterUnavailable as exc:
        pytest.skip(f"no local Slurm cluster: {exc}")


def squeue(env) -> list[tuple[str, str, str]]:
    out = subprocess.run(["squeue", "-h", "-o", "%i|%k|%T"], capture_output=True, text=True, env=env).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line.count("|") == 2]


# The first study with two of its five priors: every stage kind up to the report in 15 jobs, not 31
# (each Slurm job costs seconds of scheduling on the test's one node). The runs' params are the
# quick configuration's, so their files must equal the local quick run's.
STUDY_RUNS = "    runs: [uniform, normal, gamma, cauchy, nonparametric]\n"
SLURM_RUNS = ["normal", "cauchy"]


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("slurm-ws"), QUICK)
    text = (ws / "params.yaml").read_text()
    assert STUDY_RUNS in text
    (ws / "params.yaml").write_text(text.replace(STUDY_RUNS, f"    runs: [{', '.join(SLURM_RUNS)}]\n"))
    write_dvc_yaml(ws)
    # No accounting database on the test cluster, hence squeue for job states (MinJobAge keeps
    # finished jobs visible to it); a first status check after 2 s rather than the profile's 10, and
    # one round of checks a second rather than Snakemake's every 10 s: the DAG is seven jobs deep, and
    # each level otherwise waits for the next round (a real cluster's squeue wants the default).
    cmd = ["snakemake", "--profile", "workflow/profiles/slurm", "--slurm-status-command", "squeue",
           "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "1", TARGET]
    log = open(ws / "snakemake-slurm.log", "w")
    proc = subprocess.Popen(cmd, cwd=ws, stdout=log, stderr=subprocess.STDOUT, env=cluster, text=True)
    cancelled = None
    deadline = time.monotonic() + 1800
    while proc.poll() is None and time.monotonic() < deadline:
        if cancelled is None:
            job = next((job_id for job_id, comment, _ in squeue(cluster) if comment == CANCELLED), None)
            if job is not None:  # pending or just started: a training job takes seconds, not 0.2 s
                subprocess.run(["scancel", job], check=True, env=cluster)
                cancelled = job
        time.sleep(0.2)
    if proc.poll() is None:
        proc.kill()
    log.close()
    return ws, proc.returncode, (ws / "snakemake-slurm.log").read_text(), cancelled


def test_quick_study_runs_as_slurm_jobs(slurm_run, cluster):
    ws, returncode, log, cancelled = slurm_run
    assert returncode == 0, log[-3000:]
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", log)
    # download, prepare, classifier, real features, 2 priors, 4 trainings and evaluations, the
    # report; one training twice (below)
    assert len(submitted) == 4 + 2 + 4 + 4 + 1 + 1, log[-3000:]
    # Each job's Slurm output under logs/slurm/, beside the rule's own log under logs/ (the
    # cancelled job may have been cancelled before it started, and then has none).
    for job_id, slurm_log in submitted:
        assert Path(slurm_log).is_relative_to(ws / "logs" / "slurm"), slurm_log
        assert job_id == cancelled or Path(slurm_log).is_file(), slurm_log
    assert len(list((ws / "logs" / "train").glob("*.log"))) == 4
    assert (ws / "results/tables/nonparametric/prior_vs_midpoint.csv").is_file()


def test_a_cancelled_job_is_reported_and_resubmitted(slurm_run):
    ws, returncode, log, cancelled = slurm_run
    assert cancelled is not None, "the training job to cancel was never seen in the queue"
    assert re.search(rf"SLURM-job '{cancelled}' failed, SLURM status is: 'CANCELLED'", log), log[-3000:]
    retried = [p for _, p in re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", log)
               if "/rule_train/cauchy_1/" in p or "/rule_train/cauchy/1/" in p]
    assert len(retried) == 2, retried
    assert (ws / "results/runs/cauchy/seed1/generator.safetensors").is_file()


def test_gpu_stages_ask_for_a_gres_and_get_cuda_visible_devices(slurm_run, cluster):
    ws, _, log, _ = slurm_run
    jobs = {comment: job_id for job_id, comment, _ in squeue(cluster)}  # finished jobs stay listed
    for comment, job_id in jobs.items():
        detail = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True,
                                env=cluster).stdout
        asks_gpu = "TresPerNode=gres:gpu:1" in detail
        gpu_rule = comment.startswith(("rule_train", "rule_evaluate", "rule_classifier", "rule_real_features"))
        assert asks_gpu == gpu_rule, (comment, detail)
    for train_log in (ws / "logs" / "train").glob("*.log"):
        assert re.search(r"device cpu, CUDA_VISIBLE_DEVICES=[01]$", train_log.read_text(), re.M), train_log


def test_slurm_run_writes_the_local_runs_bits(slurm_run, snakemake_workspace):
    ws = slurm_run[0]
    # Everything but the report, which tabulates two runs here and five in the local run.
    files = sorted(p.relative_to(ws) for d in ("results", "data") for p in (ws / d).rglob("*")
                   if p.is_file() and "tables" not in p.relative_to(ws).parts[:2]
                   and "figures" not in p.relative_to(ws).parts[:2])
    assert len(files) > 20
    different = [str(rel) for rel in files if comparable(ws / rel) != comparable(snakemake_workspace / rel)]
    assert not different, different
