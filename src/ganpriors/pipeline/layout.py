"""Every path of the pipeline, in one place (torch-free).

Templates take the wildcards {run}, {seed} and {study}; both tools' declarations, the report
modules and the tests format them from here, so a path is spelled once.
"""
from __future__ import annotations

RAW_DIR = "data/raw/fashion-mnist"
PREPARED = "data/prepared/fashion-mnist.safetensors"
CLASSIFIER_DIR = "results/classifier"
CLASSIFIER = f"{CLASSIFIER_DIR}/classifier.safetensors"
CLASSIFIER_METRICS = f"{CLASSIFIER_DIR}/metrics.json"
REAL_FEATURES = "results/eval/real_features.safetensors"

PRIORS_DIR = "results/priors"
PRIOR_DIR = PRIORS_DIR + "/{run}"
PRIOR = PRIOR_DIR + "/prior.safetensors"
PRIOR_SUMMARY = PRIOR_DIR + "/prior.json"

RUNS_DIR = "results/runs"
RUN_FOLDER = RUNS_DIR + "/{run}"  # every seed of a run
RUN_DIR = RUN_FOLDER + "/seed{seed}"
GENERATOR = RUN_DIR + "/generator.safetensors"
TRAIN_LOG = RUN_DIR + "/train_log.csv"
TRAIN_SUMMARY = RUN_DIR + "/train.json"
METRICS = RUN_DIR + "/metrics.json"

PROBES_DIR = "results/probes/{study}"
PROBE = PROBES_DIR + "/{run}/seed{seed}"
PROBE_JSON = PROBE + ".json"
PROBE_GRIDS = PROBE + ".safetensors"

TABLES_DIR = "results/tables/{study}"
FIGURES_DIR = "results/figures/{study}"
STUDY_METRICS = "results/metrics/{study}.json"  # a study's headline numbers (DVC metrics)
PLOTS_DIR = "results/plots/{study}"             # data of its DVC plots, one CSV per plot

CLAIMS = "results/tables/claims"  # the claims table: .csv, .md, .tex (ganpriors.report.claims)

PARAMS_STAMPS = ".ganpriors/params"
CHECKPOINTS = ".ganpriors/checkpoints"

# The per-run files a study's report may read (ganpriors.studies.base.Study.run_files).
RUN_FILES = {"metrics": METRICS, "generator": GENERATOR, "train_summary": TRAIN_SUMMARY, "prior": PRIOR,
             "prior_summary": PRIOR_SUMMARY}


def raw_file(name: str) -> str:
    return f"{RAW_DIR}/{name}"


def run_dir(run: str, seed: int | str) -> str:
    return RUN_DIR.format(run=run, seed=seed)


def probe_dir(study: str) -> str:
    return PROBES_DIR.format(study=study)


def tables_dir(study: str) -> str:
    return TABLES_DIR.format(study=study)


def figures_dir(study: str) -> str:
    return FIGURES_DIR.format(study=study)


def study_metrics(study: str) -> str:
    return STUDY_METRICS.format(study=study)


def plots_dir(study: str) -> str:
    return PLOTS_DIR.format(study=study)
