# Shared helpers: validated params, output paths, and the params each stage depends on.
import sys

from ganpriors.config import STAGE_PARAMS, read_yaml, stage_params, validate_params, write_params_stamp
from ganpriors.errors import GanpriorsError
from ganpriors.studies import has_probe, report_outputs

try:
    RAW_PARAMS = read_yaml("params.yaml")
    PARAMS = validate_params(RAW_PARAMS)
except GanpriorsError as exc:
    sys.exit(f"ganpriors: error: {exc}")
if config != RAW_PARAMS:
    sys.exit("ganpriors: error: --config/--configfile overrides are not seen by the stages; edit params.yaml instead")

RUNS = list(PARAMS.runs)
SEEDS = [str(s) for s in PARAMS.seeds]
STUDIES = PARAMS.studies
PROBED_STUDIES = [name for name, study in STUDIES.items() if has_probe(study)]
RAW_DIR = "data/raw/fashion-mnist"
RAW_FILES = list(PARAMS.data.files)
PREPARED = "data/prepared/fashion-mnist.safetensors"
CLASSIFIER = "results/classifier/classifier.safetensors"
REAL_FEATURES = "results/eval/real_features.safetensors"
PRIOR = "results/priors/{run}/prior.safetensors"
RUN_DIR = "results/runs/{run}/seed{seed}"
PROBE = "results/probes/{study}/{run}/seed{seed}"


def tracked(stage, **fixed):
    """Snakemake reruns a job when the repr of its params changes: pass the key-sorted sub-trees
    that the stage reads (the same keys dvc.yaml lists). `fixed`: placeholders set by the rule
    itself (the study of a per-study rule)."""
    return lambda wildcards: stage_params(config, stage, **fixed, **dict(wildcards.items()))


def job_wildcards(wildcards):
    """A cached rule's wildcards as a param: Snakemake's output-cache key hashes the rule's
    shell template, params and input provenance, not the formatted command, so without this the
    seeds of one run (same inputs, same params) would share one cache entry."""
    return dict(wildcards.items())


PARAMS_STAMPS = ".ganpriors/params"


def params_stamp(stage, **fixed):
    """Input function: the stage's params as a file, rewritten only when they change, so that
    Snakemake's mtime rule reruns the job on an edit even without .snakemake metadata (which is
    not shared, e.g. for outputs restored by `dvc pull`)."""
    return lambda wildcards: write_params_stamp(config, stage, PARAMS_STAMPS, **fixed, **dict(wildcards.items())) or []


def write_all_params_stamps():
    """Write every stamp before the DAG is built: Snakemake may check an input's existence
    concurrently with the input function that writes it (seen on a fresh checkout)."""
    for stage, keys in STAGE_PARAMS.items():
        keys = "".join(keys)
        if "{study}" in keys:
            combos = [{"study": name, "run": run} for name in PROBED_STUDIES for run in STUDIES[name].runs]
            if "{run}" not in keys:
                combos = [{"study": name} for name in STUDIES]
        elif "{run}" in keys:
            combos = [{"run": run} for run in RUNS]
        else:
            combos = [{}]
        for wildcards in combos:
            write_params_stamp(config, stage, PARAMS_STAMPS, **wildcards)


write_all_params_stamps()


wildcard_constraints:
    run="|".join(RUNS),
    seed=r"\d+",
    study="|".join(PROBED_STUDIES) or "(?!)",
