"""The pipeline, described once: every stage's command, inputs, outputs, params keys and wildcards.

Both tools are declared from this description: dvc.yaml is generated from it (ganpriors.pipeline.
dvc_yaml, `ganpriors dvc-yaml`) and the Snakemake rules (workflow/rules/*.smk) take their paths,
commands and params from it. A stage runs one `ganpriors <command>`; its templates use the
wildcards {study}, {run} and {seed}. Torch-free: the Snakefile imports it.

    download -> prepare -> classifier -> real-features
             fit-prior -> train -> evaluate -> probe (studies with a probe) -> report (per study)
                                                                               -> summarise (per study)
                                                                               -> claims (all studies)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ganpriors.pipeline import layout as L

WILDCARDS = ("study", "run", "seed")


@dataclass(frozen=True)
class Stage:
    command: str                       # the `ganpriors <command>` subcommand
    doc: str                           # what the stage does, in one sentence
    args: tuple[tuple[str, str], ...]  # (flag, template) in command order
    deps: dict[str, str] = field(default_factory=dict)   # name -> path template (inputs)
    outs: dict[str, str] = field(default_factory=dict)   # name -> path template
    params: tuple[str, ...] = ()       # params key templates the stage reads (its only params)
    wildcards: tuple[str, ...] = ()    # which of study/run/seed the stage varies over
    log: str = ""                      # Snakemake's log file template (DVC shows the output itself)
    cache: bool = False                # Snakemake output cache (between-workflow sharing)
    name: str = ""                     # stage/rule name; default: the command with '_' for '-'
    dvc_deps: tuple[str, ...] | None = None  # DVC's deps when they differ (folders for file lists)
    committed: bool = False            # outputs small enough for git (not the DVC cache)
    fixed: dict = field(default_factory=dict)  # wildcard values fixed by the stage (a report's study)
    metrics: tuple[str, ...] = ()      # names of outs that are DVC metrics (committed, cache: false)

    @property
    def key(self) -> str:
        return self.name or self.command.replace("-", "_")

    @property
    def param_wildcards(self) -> tuple[str, ...]:
        """Wildcards the params keys depend on (they name the stage's params stamp)."""
        return tuple(w for w in ("study", "run") if any("{" + w + "}" in k for k in self.params))

    def format(self, template: str, **values: str) -> str:
        """Fill a template's wildcards; `values` may spell them for a tool ({wildcards.run}, ${item.run})."""
        values = {**values, **self.fixed}  # a fixed wildcard is not a wildcard of the tool
        return template.format(**{w: values.get(w, "{" + w + "}") for w in WILDCARDS})

    def cmd(self, **values: str) -> str:
        return " ".join(["ganpriors", self.command]
                        + [f"{flag} {self.format(value, **values)}" for flag, value in self.args])


def stages(params) -> list[Stage]:
    """Every stage of the DAG of `params` (a validated ganpriors.config.Params), in DAG order."""
    raw_files = {name.replace("-", "_"): L.raw_file(name) for name in params.data.files}
    run_seed = ("run", "seed")
    found = [
        Stage("download", "the dataset's files from the first source that passes SHA-256 verification",
              args=(("--out-dir", L.RAW_DIR),), outs=raw_files, params=("data",), log="logs/download.log"),
        Stage("prepare", "IDX -> uint8 N x 1 x 28 x 28 images and labels, train and test splits",
              args=(("--raw-dir", L.RAW_DIR), ("--out", L.PREPARED)), deps=raw_files,
              outs={"data": L.PREPARED}, log="logs/prepare.log"),
        Stage("fit-prior", "each run's latent prior as a file; the non-parametric pmf is fitted here",
              args=(("--run", "{run}"), ("--out", L.PRIOR), ("--summary", L.PRIOR_SUMMARY)),
              outs={"prior": L.PRIOR, "summary": L.PRIOR_SUMMARY}, params=("runs.{run}.prior",),
              wildcards=("run",), log="logs/fit_prior/{run}.log", cache=True),
        Stage("train", "one GAN per run and seed: prior, data, losses and regularisers from the run's params",
              args=(("--run", "{run}"), ("--seed", "{seed}"), ("--data", L.PREPARED), ("--prior", L.PRIOR),
                    ("--out-dir", L.RUN_DIR)),
              deps={"data": L.PREPARED, "prior": L.PRIOR},
              outs={"generator": L.GENERATOR, "log_csv": L.TRAIN_LOG, "summary": L.TRAIN_SUMMARY},
              params=("defaults", "runs.{run}"), wildcards=run_seed, log="logs/train/{run}-seed{seed}.log",
              cache=True),
        Stage("classifier", "the evaluation feature extractor, registered with torch-fidelity",
              args=(("--data", L.PREPARED), ("--out", L.CLASSIFIER), ("--metrics", L.CLASSIFIER_METRICS)),
              deps={"data": L.PREPARED}, outs={"weights": L.CLASSIFIER, "metrics": L.CLASSIFIER_METRICS},
              params=("classifier",), log="logs/classifier.log", cache=True),
        Stage("real-features", "features of the real reference split, computed once for every run",
              args=(("--data", L.PREPARED), ("--classifier", L.CLASSIFIER), ("--out", L.REAL_FEATURES)),
              deps={"data": L.PREPARED, "classifier": L.CLASSIFIER}, outs={"features": L.REAL_FEATURES},
              params=("eval.feature_extractor", "eval.real", "eval.batch_size", "eval.device", "eval.threads"),
              log="logs/real_features.log", cache=True),
        Stage("evaluate", "IS, FID, KID, precision/recall, I-Variance on prior samples and interpolations; "
                          "on a mode-coverage benchmark its own scores",
              args=(("--seed", "{seed}"), ("--generator", L.GENERATOR), ("--prior", L.PRIOR),
                    ("--train-summary", L.TRAIN_SUMMARY), ("--real-features", L.REAL_FEATURES),
                    ("--classifier", L.CLASSIFIER), ("--data", L.PREPARED), ("--out", L.METRICS)),
              deps={"generator": L.GENERATOR, "prior": L.PRIOR, "summary": L.TRAIN_SUMMARY,
                    "real": L.REAL_FEATURES, "classifier": L.CLASSIFIER, "data": L.PREPARED},
              outs={"metrics": L.METRICS}, params=("eval",), wildcards=run_seed,
              log="logs/evaluate/{run}-seed{seed}.log", cache=True),
    ]
    if any(study.has_probe for study in params.studies.values()):
        found.append(PROBE)
    for name, study in params.studies.items():
        found += [report_stage(name, study, params), summary_stage(name, study)]
    if getattr(params, "claims", None):
        found.append(claims_stage(params))
    return found


PROBE = Stage(
    "probe", "a study's own measurements on each of its runs and seeds",
    args=(("--study", "{study}"), ("--run", "{run}"), ("--seed", "{seed}"), ("--generator", L.GENERATOR),
          ("--prior", L.PRIOR), ("--train-log", L.TRAIN_LOG), ("--metrics", L.METRICS),
          ("--classifier", L.CLASSIFIER), ("--data", L.PREPARED), ("--out-json", L.PROBE_JSON),
          ("--out-grids", L.PROBE_GRIDS)),
    deps={"generator": L.GENERATOR, "log_csv": L.TRAIN_LOG, "metrics": L.METRICS, "prior": L.PRIOR,
          "classifier": L.CLASSIFIER, "data": L.PREPARED},
    outs={"json": L.PROBE_JSON, "grids": L.PROBE_GRIDS},
    params=("studies.{study}.probe", "defaults", "runs.{run}", "eval.device", "eval.threads"),
    wildcards=("study", "run", "seed"), log="logs/probe/{study}-{run}-seed{seed}.log", cache=True)

REPORT_PARAMS = ("report", "seeds", "studies.{study}", "eval.fake.lambdas")
SUMMARY_PARAMS = ("studies.{study}",)


def report_stage(name: str, study, params) -> Stage:
    """report_<study>: the study's tables and figures from its runs' outputs or its probe files only."""
    seeds = params.seeds
    if study.has_probe:
        inputs = ("--probes-dir", L.probe_dir(name)),
        deps = {f"probe_{i}": path for i, path in enumerate(
            L.PROBE.format(study=name, run=run, seed=seed) + ext
            for run in study.runs for seed in seeds for ext in (".json", ".safetensors"))}
        dvc_deps = (L.probe_dir(name),)
    else:
        inputs = ("--runs-dir", L.RUNS_DIR), ("--priors-dir", L.PRIORS_DIR)
        per_seed = [k for k in study.run_files if "{seed}" in L.RUN_FILES[k]]
        per_run = [k for k in study.run_files if "{seed}" not in L.RUN_FILES[k]]
        files = [L.RUN_FILES[k].format(run=run, seed=seed) for k in per_seed for run in study.runs for seed in seeds]
        files += [L.RUN_FILES[k].format(run=run) for k in per_run for run in study.runs]
        deps = {f"run_{i}": path for i, path in enumerate(files)}
        dvc_deps = tuple(f"{d}/{run}" for d in (L.RUNS_DIR, L.PRIORS_DIR) for run in study.runs)
    outs = {f"out_{i}": path for i, path in enumerate(study.outputs(name))}
    return Stage("report", study.title or f"the {study.kind} study's tables and figures", name=f"report_{name}",
                 args=(("--study", "{study}"), *inputs, ("--tables-dir", L.TABLES_DIR),
                       ("--figures-dir", L.FIGURES_DIR)),
                 deps=deps, outs=outs, params=REPORT_PARAMS, log="logs/report_{study}.log",
                 dvc_deps=dvc_deps, committed=True, fixed={"study": name})


def summary_stage(name: str, study) -> Stage:
    """summarise_<study>: the study's headline numbers (DVC metrics) and plot data, from its tables."""
    deps = {f"table_{i}": f"{L.tables_dir(name)}/{table}" for i, table in enumerate(study.summary_inputs())}
    outs = {"metrics": L.study_metrics(name)}
    outs.update({f"plot_{plot.name}": f"{L.plots_dir(name)}/{plot.name}.csv" for plot in study.plot_data()})
    return Stage("summarise", "the study's headline numbers per run (DVC metrics) and its plot data, from its tables",
                 name=f"summarise_{name}",
                 args=(("--study", "{study}"), ("--tables-dir", L.TABLES_DIR), ("--metrics", L.STUDY_METRICS),
                       ("--plots-dir", L.PLOTS_DIR)),
                 deps=deps, outs=outs, params=SUMMARY_PARAMS, log="logs/summarise_{study}.log",
                 committed=True, fixed={"study": name}, metrics=("metrics",))


CLAIMS_PARAMS = ("claims",)


def claims_stage(params) -> Stage:
    """claims: every paper's claim checked by its rule on the studies' tables (ganpriors.report.claims)."""
    from ganpriors.config.claims import Cell, Difference

    def tables(stat):
        if isinstance(stat, Difference):
            return tables(stat.minus[0]) | tables(stat.minus[1])
        return {(stat.study, stat.table if isinstance(stat, Cell) else "all_scores.csv")}

    read = sorted(set().union(*(tables(s) for c in params.claims.values() for s in c.statistics())))
    deps = {f"table_{i}": f"{L.tables_dir(study)}/{table}" for i, (study, table) in enumerate(read)}
    outs = {ext: f"{L.CLAIMS}.{ext}" for ext in ("csv", "md", "tex")}
    return Stage("claims", "every paper's claim, its rule and its verdict, from the studies' tables",
                 args=(("--tables-dir", "results/tables"), ("--out", L.CLAIMS)), deps=deps, outs=outs,
                 params=CLAIMS_PARAMS, log="logs/claims.log", committed=True)


@dataclass(frozen=True)
class Job:
    """One concrete job of the DAG: a stage with its wildcards filled."""

    stage: Stage
    wildcards: dict

    @property
    def cmd(self) -> str:
        return self.stage.cmd(**self.wildcards)

    @property
    def inputs(self) -> set[str]:
        return {self.stage.format(p, **self.wildcards) for p in self.stage.deps.values()}

    @property
    def outputs(self) -> set[str]:
        return {self.stage.format(p, **self.wildcards) for p in self.stage.outs.values()}

    @property
    def params(self) -> list[str]:
        return [self.stage.format(k, **self.wildcards) for k in self.stage.params]

    @property
    def all_wildcards(self) -> dict:
        return {**self.stage.fixed, **self.wildcards}


def combos(stage: Stage, params) -> list[dict]:
    """The wildcard values a stage is run for: every run (and seed); a probe for every study with
    a probe, its runs and the seeds."""
    seeds = [str(s) for s in params.seeds]
    if "study" in stage.wildcards:
        return [{"study": name, "run": run, "seed": seed} for name, study in params.studies.items()
                if study.has_probe for run in study.runs for seed in seeds]
    if "seed" in stage.wildcards:
        return [{"run": run, "seed": seed} for run in params.runs for seed in seeds]
    if "run" in stage.wildcards:
        return [{"run": run} for run in params.runs]
    return [{}]


def jobs(params) -> list[Job]:
    return [Job(stage, wc) for stage in stages(params) for wc in combos(stage, params)]


def stage_params_keys() -> dict[str, tuple[str, ...]]:
    """command -> params key templates (the same for every params file)."""
    from types import SimpleNamespace

    dummy = SimpleNamespace(data=SimpleNamespace(files={}), studies={})
    keys = {s.command: s.params for s in stages(dummy)}
    keys["probe"], keys["report"], keys["summarise"] = PROBE.params, REPORT_PARAMS, SUMMARY_PARAMS
    keys["claims"] = CLAIMS_PARAMS
    return keys
