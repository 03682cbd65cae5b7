# Shared helpers: validated params and the pipeline description (ganpriors.pipeline), from which
# every rule takes its command, inputs, outputs, log and params, exactly as dvc.yaml is generated.
import sys

from ganpriors.config import read_yaml, validate_params
from ganpriors.errors import GanpriorsError
from pathlib import Path

from ganpriors.pipeline import layout
from ganpriors.pipeline.report import caption_path, protocol, report_section
from ganpriors.pipeline.stages import stages
from ganpriors.pipeline.tracking import stage_params, stamp_path, write_all_params_stamps

try:
    RAW_PARAMS = read_yaml("params.yaml")
    PARAMS = validate_params(RAW_PARAMS)
except GanpriorsError as exc:
    sys.exit(f"ganpriors: error: {exc}")
if config != RAW_PARAMS:
    sys.exit("ganpriors: error: --config/--configfile overrides are not seen by the stages; edit params.yaml instead")

STAGES = {stage.key: stage for stage in stages(PARAMS)}
RESOLVED_RUNS = PARAMS.resolved_runs()  # once: a run's threads are read per job
RUNS = list(PARAMS.runs)
SEEDS = [str(s) for s in PARAMS.seeds]
STUDIES = PARAMS.studies
PROTOCOL = protocol(PARAMS)  # the last line of every report caption
PROBED_STUDIES = [name for name, study in STUDIES.items() if study.has_probe]
# How a rule's shell command spells the wildcards (a report's study is fixed by its stage).
SHELL_WILDCARDS = {"run": "{wildcards.run}", "seed": "{wildcards.seed}", "study": "{wildcards.study}"}


def stage_shell(key):
    return STAGES[key].cmd(**SHELL_WILDCARDS) + " 2> {log}"


def stage_inputs(key):
    stage = STAGES[key]
    return {name: stage.format(path) for name, path in stage.deps.items()}


def stage_outputs(key):
    stage = STAGES[key]
    return {name: stage.format(path) for name, path in stage.outs.items()}


def in_report(key):
    """A report or summarise stage's outputs, each marked for `snakemake --report`: category the
    study, subcategory what the file is, caption workflow/report/<kind>/<stem>.rst
    (ganpriors.pipeline.report; the rule files are one folder below workflow/)."""
    study = STAGES[key].fixed["study"]
    settings = STUDIES[study]
    return {name: report(path, caption="../../" + caption_path(settings.kind, path, settings.runs), category=study,
                         subcategory=report_section(path), labels={"file": Path(path).name})
            for name, path in stage_outputs(key).items()}


def stage_log(key):
    return STAGES[key].format(STAGES[key].log)


def tracked(key):
    """Snakemake reruns a job when the repr of its params changes: pass the key-sorted sub-trees
    that the stage reads (the same keys dvc.yaml lists)."""
    stage = STAGES[key]
    return lambda wildcards: stage_params(config, stage.command, **stage.fixed, **dict(wildcards.items()))


def job_wildcards(wildcards):
    """A cached rule's wildcards as a param: Snakemake's output-cache key hashes the rule's
    shell template, params and input provenance, not the formatted command, so without this the
    seeds of one run (same inputs, same params) would share one cache entry."""
    return dict(wildcards.items())


def params_stamp(key):
    """Input function: the stage's params as a file (written below, rewritten only when they change),
    so that Snakemake's mtime rule reruns the job on an edit even without .snakemake metadata (which
    is not shared, e.g. for outputs restored by `dvc pull`). Stages without params have none."""
    stage = STAGES[key]
    if not stage.params:
        return []
    return lambda wildcards: str(stamp_path(stage.command, layout.PARAMS_STAMPS, **stage.fixed,
                                            **dict(wildcards.items())))


# Every stamp, before the DAG is built: Snakemake may check an input's existence concurrently with
# an input function (seen on a fresh checkout), so the input functions above only name them.
write_all_params_stamps(config, PARAMS, layout.PARAMS_STAMPS)


wildcard_constraints:
    run="|".join(RUNS),
    seed=r"\d+",
    study="|".join(PROBED_STUDIES) or "(?!)",
