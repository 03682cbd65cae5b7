"""What a study is to the pipeline: its settings, what it reads, what its report writes.

A study (params `studies.<name>`, with a `kind`) compares some runs. Its kind is a plugin: one
module under ganpriors.studies holding a subclass of Study with
- its settings (the pydantic fields: `kind`, `runs`, and whatever else it needs, e.g. probe options),
- `reads`: "runs" (the report reads the runs' own outputs: which ones in `run_files`) or "probes"
  (a probe stage measures each run and seed first, `probe_impl` = its function, and the report
  reads only the probe files; the study's `probe` settings are what that stage depends on),
- `impl`: the report function (params, study_name, study, dirs) -> written paths,
- `tables` and `figures()`: the report's output file names,
- `check(params)`: cross-checks against the rest of params.yaml,
- what users compare runs and experiments by: `summary_table` (the table whose "<measure> mean" and
  "<measure> std" columns are the study's DVC metrics, one row per `summary_key`), `plot_data()`
  (CSV plots computed from its tables) and `training_curves(params)` (columns of each run's
  train_log.csv plotted across runs); the summarise stage writes them (ganpriors.report.summary).
Everything here is torch-free: the Snakefile reads it at parse time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field

from ganpriors.schema import Component


@dataclass(frozen=True)
class PlotData:
    """A DVC plot computed from the study's tables: `impl` ("module:function", called with the
    study's tables folder, the study and its name) returns a DataFrame with the column `x` and the
    curves `y` (None: one curve per run of the study, in the study's order)."""

    name: str                      # file name under results/plots/<study>/, without .csv
    impl: str
    x: str
    title: str
    y: tuple[str, ...] | None = None
    reads: tuple[str, ...] = ("all_scores.csv",)  # tables it is computed from


class Study(Component):
    runs: list[str] = Field(min_length=1)

    title: ClassVar[str] = ""  # the paper and its question, in one line
    reads: ClassVar[Literal["runs", "probes"]] = "runs"
    # Files of each run the report reads (keys of ganpriors.pipeline.layout.RUN_FILES), when reads == "runs".
    run_files: ClassVar[tuple[str, ...]] = ("metrics", "generator", "prior", "prior_summary")
    probe_impl: ClassVar[str | None] = None  # "module:function" of the probe stage, when reads == "probes"
    tables: ClassVar[tuple[str, ...]] = ()
    summary_table: ClassVar[str] = ""           # e.g. "nemgan.csv": the study's DVC metrics
    summary_key: ClassVar[tuple[str, ...]] = ("run",)  # its columns that name a row

    def figures(self) -> list[str]:
        """Figure names (without .png) of the report."""
        return []

    def check(self, params) -> None:
        """Raise ValueError when the rest of params.yaml does not fit this study."""

    def plot_data(self) -> tuple[PlotData, ...]:
        return ()

    def training_curves(self, params) -> dict[str, dict[str, tuple[str, ...]]]:
        """Plots of the runs' training logs (first seed), by title: run -> the columns drawn."""
        return {"training losses": {run: ("loss_d", "loss_g") for run in self.runs}}

    def summary_inputs(self) -> list[str]:
        """The tables the summarise stage reads (file names in the study's tables folder)."""
        names = [self.summary_table] + [t for p in self.plot_data() for t in p.reads]
        return list(dict.fromkeys(n for n in names if n))

    @property
    def has_probe(self) -> bool:
        return self.reads == "probes"

    def outputs(self, name: str) -> list[str]:
        """The report's files, relative to the repository root."""
        from ganpriors.pipeline import layout

        return ([f"{layout.tables_dir(name)}/{t}" for t in self.tables]
                + [f"{layout.figures_dir(name)}/{f}.png" for f in self.figures()])
