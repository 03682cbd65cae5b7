"""What a study is to the pipeline: its settings, what it reads, what its report writes.

A study (params `studies.<name>`, with a `kind`) compares some runs. Its kind is a plugin: one
module under ganpriors.studies holding a subclass of Study with
- its settings (the pydantic fields: `kind`, `runs`, and whatever else it needs, e.g. probe options),
- `reads`: "runs" (the report reads the runs' own outputs: which ones in `run_files`) or "probes"
  (a probe stage measures each run and seed first, `probe_impl` = its function, and the report
  reads only the probe files; the study's `probe` settings are what that stage depends on),
- `impl`: the report function (params, study_name, study, dirs) -> written paths,
- `tables` and `figures()`: the report's output file names,
- `check(params)`: cross-checks against the rest of params.yaml.
Everything here is torch-free: the Snakefile reads it at parse time.
"""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ganpriors.schema import Component


class Study(Component):
    runs: list[str] = Field(min_length=1)

    title: ClassVar[str] = ""  # the paper and its question, in one line
    reads: ClassVar[Literal["runs", "probes"]] = "runs"
    # Files of each run the report reads (keys of ganpriors.pipeline.layout.RUN_FILES), when reads == "runs".
    run_files: ClassVar[tuple[str, ...]] = ("metrics", "generator", "prior", "prior_summary")
    probe_impl: ClassVar[str | None] = None  # "module:function" of the probe stage, when reads == "probes"
    tables: ClassVar[tuple[str, ...]] = ()

    def figures(self) -> list[str]:
        """Figure names (without .png) of the report."""
        return []

    def check(self, params) -> None:
        """Raise ValueError when the rest of params.yaml does not fit this study."""

    @property
    def has_probe(self) -> bool:
        return self.reads == "probes"

    def outputs(self, name: str) -> list[str]:
        """The report's files, relative to the repository root."""
        from ganpriors.pipeline import layout

        return ([f"{layout.tables_dir(name)}/{t}" for t in self.tables]
                + [f"{layout.figures_dir(name)}/{f}.png" for f in self.figures()])
