"""End to end: the survey study (every survey run: train, evaluate, probe; the report and its
summary) in its quick configuration under Snakemake, then under DVC, which adopts Snakemake's outputs
and recomputes one run of each kind of system from scratch: the same bits."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, needs_dataset, run, workspace_beside_quick
from test_e2e import comparable

QUICK_SURVEY = ROOT / "configs" / "quick_survey.yaml"
TARGETS = ["report_survey", "summarise_survey"]
pytestmark = [pytest.mark.e2e, needs_dataset]


@pytest.fixture(scope="module")
def survey_workspace(tmp_path_factory, snakemake_workspace) -> Path:
    """The quick survey run with `snakemake --cores all` beside the main quick workspace."""
    return workspace_beside_quick(tmp_path_factory.mktemp("survey"), QUICK_SURVEY, snakemake_workspace, TARGETS)


def test_every_survey_run_trains_evaluates_and_reports(survey_workspace):
    from ganpriors.config import load_params

    ws = survey_workspace
    params = load_params(ws / "params.yaml")
    study = params.studies["survey"]
    for out in study.outputs("survey"):
        assert (ws / out).stat().st_size > 100, out

    survey = pd.read_csv(ws / "results/tables/survey/survey.csv")
    systems = list(study.systems)
    assert list(survey["run"]) == systems + [r for r in study.runs if r not in systems]
    assert list(survey["system"][:len(systems)]) == list(study.systems.values()) and survey["system"][len(systems):].isna().all()
    assert (survey["seeds"] == 1).all() and survey["fid mean"].notna().all()
    by_run = survey.set_index("run")
    conditional = ["sv_sagan", "sv_biggan", "sv_adc"]
    assert by_run.loc[conditional, "intra_fid mean"].notna().all()
    assert by_run.loc[["sv_ac", "sv_biggan_flat", "sv_sagan_np"], "intra_fid mean"].notna().all()
    assert by_run.loc[["sv_dcgan", "sv_unet", "sv_icgan", "sv_logan"], "intra_fid mean"].isna().all()
    assert by_run.loc["sv_icgan", "conditioning"] == "instance" and by_run.loc["sv_biggan", "conditioning"] == "class"
    assert by_run.loc["sv_biggan", "CIFAR-10 StudioGAN FID"] == 4.16  # the reference row, beside ours
    assert (by_run["G parameters"] > 0).all() and (by_run["D parameters"] > 0).all()

    ablations = pd.read_csv(ws / "results/tables/survey/ablations.csv")
    assert list(ablations.groupby("ablation", sort=False)["run"].apply(list)) == list(study.ablations.values())
    assert (ablations.groupby("ablation")["FID - first run"].first() == 0).all()

    priors = pd.read_csv(ws / "results/tables/survey/latent_priors.csv")
    assert len(priors) == 4 and priors["gap mean"].notna().all()
    truncation = pd.read_csv(ws / "results/tables/survey/truncation.csv")
    assert list(truncation["threshold"]) == study.probe.truncation.thresholds and truncation["fid mean"].notna().all()

    probe = json.loads((ws / "results/probes/survey/sv_icgan/seed0.json").read_text())
    assert probe["probe"]["held_out"]["instances"] == 2 and "scores" in probe
    metrics = json.loads((ws / "results/metrics/survey.json").read_text())
    assert set(metrics["runs"]) == set(study.runs) and "intra_fid" in metrics["runs"]["sv_biggan"]


# The two systems with state beyond G and D: class-conditional with an EMA export and standing
# statistics (BigGAN), instance-conditional with its neighbourhoods (IC-GAN); then the report and
# the summary. (The other systems' step code is the same in both tools: one command per stage.)
RECOMPUTED = ["sv_biggan", "sv_icgan"]
RUN_FILES = ["generator.safetensors", "train_log.csv", "train.json", "metrics.json"]


def test_dvc_recomputes_the_same_bits(survey_workspace, tmp_path):
    ws = survey_workspace
    run(["dvc", "commit", "--force", "--quiet", "--with-deps", *TARGETS], ws)
    assert "Data and pipelines are up to date." in run(["dvc", "status", "--with-deps", *TARGETS], ws).stdout
    files = [f"results/runs/{r}/seed0/{f}" for r in RECOMPUTED for f in RUN_FILES]
    files += [f"results/probes/survey/{r}/seed0.{ext}" for r in RECOMPUTED for ext in ("json", "safetensors")]
    files += [f"results/tables/survey/{t}" for t in ("survey.csv", "ablations.csv", "truncation.csv")]
    files += ["results/metrics/survey.json"]
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ws / rel, tmp_path / rel)
    stages = [f"{stage}@{r}-0" for r in RECOMPUTED for stage in ("train", "evaluate")]
    stages += [f"probe_survey@{r}-0" for r in RECOMPUTED] + TARGETS
    proc = run(["dvc", "repro", "--force", "--single-item", *stages], ws)
    assert sorted(re.findall(r"Running stage '([^']+)'", proc.stdout + proc.stderr)) == sorted(stages)
    different = [rel for rel in files if comparable(ws / rel) != comparable(tmp_path / rel)]
    assert not different, different
