"""End to end: the mode-collapse studies (MaEM-GAN ablation, mode-coverage benchmarks) in their quick
configuration under Snakemake, then the same DAG under DVC: same files, and one edit reruns exactly
the same jobs in both tools."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, needs_dataset, run, workspace_beside_quick
from test_e2e import comparable, edit_params, snakemake_executed

QUICK_MODES = ROOT / "configs" / "quick_mode_collapse.yaml"
REPORTS = ["report_maemgan", "report_mode_coverage"]  # the file also holds the first three studies
pytestmark = [pytest.mark.e2e, needs_dataset]


def dvc_executed(ws: Path) -> set[str]:
    proc = run(["dvc", "repro", *REPORTS], ws)
    return set(re.findall(r"Running stage '([^']+)'", proc.stdout + proc.stderr))


def dvc_up_to_date(ws: Path) -> bool:
    return "Data and pipelines are up to date." in run(["dvc", "status", "--with-deps", *REPORTS], ws).stdout


@pytest.fixture(scope="module")
def mode_collapse_workspace(tmp_path_factory, snakemake_workspace) -> Path:
    """The quick mode-collapse configuration run with `snakemake --cores all` on its two reports, beside
    the main quick workspace (only the new studies' jobs run)."""
    return workspace_beside_quick(tmp_path_factory.mktemp("mode-collapse"), QUICK_MODES, snakemake_workspace, REPORTS)


def test_snakemake_quick_run_produces_both_studies(mode_collapse_workspace):
    from ganpriors.config import load_params
    from ganpriors.studies import report_outputs
    from ganpriors.artifacts import load_trace

    ws = mode_collapse_workspace
    params = load_params(ws / "params.yaml")
    for name in ("maemgan", "mode_coverage"):
        for out in report_outputs(name, params.studies[name]):
            assert (ws / out).stat().st_size > 100, out
    ablation = pd.read_csv(ws / "results/tables/maemgan/maemgan.csv")
    assert list(ablation["run"]) == params.studies["maemgan"].runs
    assert not (ws / "results/tables/nonparametric").exists()  # only the two studies ran
    coverage = pd.read_csv(ws / "results/tables/mode_coverage/mode_coverage.csv")
    assert set(params.studies["mode_coverage"].runs) <= set(coverage["run"])

    metrics = json.loads((ws / "results/runs/maem_all/seed0/metrics.json").read_text())
    assert set(metrics["scores"]) == {"prior"}  # interpolations: false
    assert {"fid", "kid", "is", "precision", "recall", "i_variance"} <= set(metrics["scores"]["prior"])
    assert 0 < metrics["reference"]["i_variance"] < 0.5
    assert "classifier" in metrics["protocol"]["feature_extractor"]

    ring = json.loads((ws / "results/runs/ring_maem/seed0/metrics.json").read_text())
    assert ring["protocol"]["dataset"] == "gaussian_ring" and ring["scores"]["prior"]["n"] == 500
    assert sum(ring["scores"]["prior"]["histogram"]) == round(500 * ring["scores"]["prior"]["high_quality_share"])
    assert sorted(load_trace(ws / "results/runs/ring_maem/seed0/generator.safetensors")) == [0, 10, 20, 30]

    stacked = json.loads((ws / "results/runs/stacked_maem/seed0/metrics.json").read_text())
    assert stacked["scores"]["prior"]["n_modes"] == 1000 and stacked["scores"]["prior"]["n"] == 1000
    real = stacked["scores"]["real"]  # real stacked images counted by the quick classifier (~87% accurate)
    assert real["channel_accuracy"] > 0.8 and real["modes_covered"] > 500


DVC_FORCED = ["train@maem_all-0", "evaluate@maem_all-0", "train@stacked_maem-0", "evaluate@stacked_maem-0"]
RUN_FILES = ["generator.safetensors", "train_log.csv", "train.json", "metrics.json"]


def snapshot(ws: Path, runs: list[str], dest: Path) -> list[str]:
    files = [f"results/runs/{r}/seed0/{f}" for r in runs for f in RUN_FILES]
    for rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ws / rel, dest / rel)
    return files


def test_dvc_agrees_with_snakemake_and_both_rerun_only_what_an_edit_affects(mode_collapse_workspace, tmp_path):
    ws = mode_collapse_workspace
    # DVC adopts Snakemake's outputs: every declared dependency and output exists and is consistent.
    run(["dvc", "commit", "--force", "--quiet", "--with-deps", *REPORTS], ws)
    assert dvc_up_to_date(ws)
    # DVC re-links the files it caches (new mtimes): what `ganpriors reconcile` does, for two targets.
    run(["snakemake", "--touch", "--cores", "1", *REPORTS], ws)

    # A regulariser's weight is part of its run: its train/evaluate jobs and its study's report rerun,
    # in both tools, and DVC's rerun writes the same bits as Snakemake's.
    old = "rb_maem: {weight: 0.0005, buffer_size: 16, norm_weight: 0.001}}\n  grid_gan:"
    edit_params(ws, old, old.replace("weight: 0.0005", "weight: 0.001"))
    executed = snakemake_executed(ws, REPORTS)
    assert executed == {"train[run=ring_maem, seed=0]", "evaluate[run=ring_maem, seed=0]", "report_mode_coverage"}, \
        executed
    by_snakemake = snapshot(ws, ["ring_maem"], tmp_path / "snakemake")
    assert dvc_executed(ws) == {"stamp_params", "train@ring_maem-0", "evaluate@ring_maem-0", "report_mode_coverage"}
    assert dvc_up_to_date(ws)

    # DVC recomputes an image run of each study from scratch: the same bits as Snakemake's.
    by_snakemake += snapshot(ws, ["maem_all", "stacked_maem"], tmp_path / "snakemake")
    run(["dvc", "repro", "--force", "--single-item", *DVC_FORCED], ws)
    different = [rel for rel in by_snakemake if comparable(ws / rel) != comparable(tmp_path / "snakemake" / rel)]
    assert not different, different
