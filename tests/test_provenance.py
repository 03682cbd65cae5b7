"""`ganpriors provenance`: the commit, environments and pinned inputs recorded beside a study's tables."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import QUICK, write_params
from ganpriors.config import load_params
from ganpriors.errors import GanpriorsError
from ganpriors.pipeline import layout
from ganpriors.report.provenance import write_provenance


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def workspace(tmp_path) -> Path:
    write_params(QUICK, tmp_path / "params.yaml")
    (tmp_path / "requirements.lock").write_text("torch==2.14.1\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init", "--allow-empty")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "params")
    return tmp_path


def write_metrics(root: Path, params, study: str, threads) -> None:
    for i, run in enumerate(params.studies[study].runs):
        for seed in params.seeds:
            path = root / layout.METRICS.format(run=run, seed=seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            env = {"python": {"version": "3.11.2", "implementation": "CPython"}, "device": "cpu",
                   "threads": {"torch": threads(i)}, "cpu": {"model": "x", "flags": ["avx2"]}}
            path.write_text(json.dumps({"scores": {}, "environment": env}))
            timing = root / ".ganpriors/timings/evaluate" / f"{run}-seed{seed}.json"
            timing.parent.mkdir(parents=True, exist_ok=True)
            timing.write_text(json.dumps({"seconds": 2.5}))


def test_provenance_names_the_commit_the_environments_and_the_inputs(workspace):
    params = load_params(workspace / "params.yaml")
    runs = params.studies["nonparametric"].runs
    write_metrics(workspace, params, "nonparametric", lambda i: 1 if i else 2)  # the first run with 2 threads
    [path] = write_provenance(workspace, params, workspace / "params.yaml", ["nonparametric"])
    record = json.loads(path.read_text())
    assert path == workspace / "results/tables/nonparametric/provenance.json"
    assert record["commit"] == git(workspace, "rev-parse", "HEAD") and record["modified"] == []
    assert record["runs"] == runs and record["seeds"] == params.seeds
    counts = sorted((e["summary"]["threads"]["torch"], e["files"]) for e in record["environments"])
    assert counts == [(1, (len(runs) - 1) * len(params.seeds)), (2, len(params.seeds))]
    assert "flags" not in record["environments"][0]["summary"]["cpu"]  # summarised; the artefacts keep it all
    assert record["seconds"] == {"evaluate": 2.5 * len(runs) * len(params.seeds)}
    assert record["feature_extractor"]["classifier"] == params.classifier.pinned.name
    assert record["feature_extractor"]["weights_sha256"] == params.classifier.pinned.sha256
    assert len(record["params_sha256"]) == len(record["lock_sha256"]) == 64

    (workspace / "params.yaml").write_text((workspace / "params.yaml").read_text() + "\n")
    record = json.loads(write_provenance(workspace, params, workspace / "params.yaml", ["nonparametric"])[0].read_text())
    assert record["modified"] == ["params.yaml"]  # results no longer match the commit's params


def test_provenance_refuses_a_study_that_has_not_run(workspace):
    params = load_params(workspace / "params.yaml")
    with pytest.raises(GanpriorsError, match="artefacts missing"):
        write_provenance(workspace, params, workspace / "params.yaml", ["stylegenes"])
    with pytest.raises(GanpriorsError, match="no study 'nope'"):
        write_provenance(workspace, params, workspace / "params.yaml", ["nope"])
