"""Sharing pinned results: a DVC remote with the run-cache, and Snakemake's between-workflow cache."""
from __future__ import annotations

import re

import pytest

from conftest import dvc_study_stages, make_workspace, needs_dataset, run

pytestmark = [pytest.mark.e2e, needs_dataset]


def test_fresh_clone_pulls_everything_and_trains_nothing(dvc_workspace, tmp_path):
    ws = dvc_workspace
    remote = tmp_path / "remote"
    run(["dvc", "remote", "add", "-f", "-d", "shared", str(remote)], ws)
    run(["git", "add", "-A"], ws)
    run(["git", "commit", "-qm", "results of the quick study"], ws)
    run(["dvc", "push", "--run-cache", "--with-deps", *dvc_study_stages(ws)], ws)

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(ws), str(clone)], tmp_path)
    assert not (clone / "results/runs/normal/seed0/generator.safetensors").exists()
    run(["dvc", "pull", "--with-deps", *dvc_study_stages(clone)], clone)
    assert (clone / "results/runs/normal/seed0/generator.safetensors").read_bytes() == \
        (ws / "results/runs/normal/seed0/generator.safetensors").read_bytes()
    assert "Data and pipelines are up to date." in run(["dvc", "status", "--with-deps", *dvc_study_stages(clone)],
                                                       clone).stdout
    repro = run(["dvc", "repro", *dvc_study_stages(clone)], clone)
    assert not re.findall(r"Running stage '([^']+)'", repro.stdout), repro.stdout

    # DVC then Snakemake: reconcile the restored files' times, then Snakemake has nothing to do,
    # and a later params edit still reruns exactly what it affects.
    run(["ganpriors", "reconcile"], clone)
    dry = run(["snakemake", "-n", "--cores", "1"], clone)
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout[-2000:]
    text = (clone / "params.yaml").read_text()
    (clone / "params.yaml").write_text(text.replace("  decimals: 2", "  decimals: 4").replace("  decimals: 3", "  decimals: 4"))
    again = run(["snakemake", "--cores", "all"], clone)
    assert set(re.findall(r"^(?:local)?rule (\w+):", again.stdout + again.stderr, re.M)) == {
        "report_nonparametric", "report_stylegenes", "report_nemgan", "summarise_nonparametric",
        "summarise_stylegenes", "summarise_nemgan", "all"}  # (Snakemake: the rewritten tables are newer)


def test_reconcile_refuses_outputs_that_dvc_does_not_vouch_for(dvc_workspace, tmp_path):
    clone = tmp_path / "stale"
    run(["git", "clone", "-q", str(dvc_workspace), str(clone)], tmp_path)  # nothing pulled
    proc = run(["ganpriors", "reconcile"], clone, check=False)
    assert proc.returncode == 2 and "run `dvc pull` (or `dvc repro`) first" in proc.stderr


def test_second_clone_uses_the_snakemake_output_cache(snakemake_workspace, snakemake_cache, tmp_path):
    ws = make_workspace(tmp_path / "second")
    env = {"SNAKEMAKE_OUTPUT_CACHE": str(snakemake_cache)}
    proc = run(["snakemake", "--cores", "all", "--cache"], ws, env=env)
    log = proc.stdout + proc.stderr
    restored = set(re.findall(r"output file (\S+) from cache", log))
    # Every output of every expensive job comes from the cache folder (jobs run in parallel, so
    # this is checked per file rather than per job block of the log) ...
    runs = ("uniform", "normal", "gamma", "cauchy", "nonparametric", "sg_normal", "sg_mapping", "sg_genes",
            "nemgan_p_superclass", "nemgan_superclass", "nemgan_p_twoclass", "nemgan_twoclass")
    expected = {f"results/runs/{run}/seed{seed}/{name}" for run in runs
                for seed in (0, 1) for name in ("generator.safetensors", "train_log.csv", "train.json", "metrics.json")}
    expected |= {f"results/probes/nemgan/nemgan_twoclass/seed1.{ext}" for ext in ("json", "safetensors")}
    expected |= {"results/classifier/classifier.safetensors", "results/eval/real_features.safetensors"}
    assert expected <= restored, sorted(expected - restored)
    # ... and no train or evaluate command ran. A job served from the cache still prints its
    # "rule train:" block (Snakemake reports the job before fetching its outputs), so the log's job
    # blocks cannot tell; but every completed train and evaluate command records its wall-clock time
    # under .ganpriors/timings/<stage>/ in the workspace (ganpriors.timings), and none is there.
    assert not list((ws / ".ganpriors/timings").glob("train/*.json"))
    assert not list((ws / ".ganpriors/timings").glob("evaluate/*.json"))
    for log_file in [*(ws / "logs/train").glob("*.log"), *(ws / "logs/evaluate").glob("*.log"),
                     *(ws / "logs/probe").glob("*.log")]:
        assert log_file.stat().st_size == 0, log_file
    assert (ws / "results/runs/normal/seed0/generator.safetensors").read_bytes() == \
        (snakemake_workspace / "results/runs/normal/seed0/generator.safetensors").read_bytes()
    assert (ws / "results/eval/real_features.safetensors").read_bytes() == \
        (snakemake_workspace / "results/eval/real_features.safetensors").read_bytes()


def test_a_tampered_object_in_a_dvc_remote_is_refused_and_never_reaches_the_workspace(tmp_path):
    """An object of a folder remote altered after it was pushed: `dvc pull` in a fresh clone fails
    (DVC hashes what it fetches against dvc.lock/.dvc), writes no file under the output's name,
    and the clone's status says the output is not in its cache. (A tiny DVC repository rather than
    the quick workspace: the check is DVC's own, whatever the file holds.)"""
    repo, remote = tmp_path / "repo", tmp_path / "remote"
    repo.mkdir()
    for cmd in (["git", "init", "-q"], ["git", "config", "user.email", "t@example.com"],
                ["git", "config", "user.name", "t"], ["dvc", "init", "-q"], ["dvc", "config", "core.analytics", "false"]):
        run(cmd, repo)
    (repo / "generator.safetensors").write_bytes(b"trained weights " * 64)
    run(["dvc", "add", "-q", "generator.safetensors"], repo)
    run(["dvc", "remote", "add", "-d", "shared", str(remote)], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "weights"], repo)
    run(["dvc", "push", "-q"], repo)
    (obj,) = [p for p in remote.rglob("*") if p.is_file()]
    obj.chmod(0o644)
    obj.write_bytes(b"tampered weights" * 64)  # same size, other content

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    pulled = run(["dvc", "pull"], clone, check=False)
    assert pulled.returncode != 0 and "generator.safetensors" in pulled.stdout + pulled.stderr
    assert not (clone / "generator.safetensors").exists()
    assert "not in cache" in run(["dvc", "status"], clone).stdout
