"""Mode coverage: a ring of 8 and a 5 x 5 grid of 2-D Gaussians and stacked Fashion-MNIST (1000
modes); modes covered, high-quality share and KL to uniform, samples over training."""
from __future__ import annotations

from typing import Literal

from ganpriors.studies.base import Study


class ModeCoverageStudy(Study):
    kind: Literal["mode_coverage"]
    title = "modes covered on a ring and a grid of 2-D Gaussians and on stacked Fashion-MNIST"
    impl = "ganpriors.report.mode_coverage:build_mode_coverage_report"
    run_files = Study.run_files + ("train_summary",)
    summary_table = "mode_coverage.csv"
    tables = ("mode_coverage.csv", "mode_coverage.md", "mode_coverage.tex", "all_scores.csv")

    def figures(self) -> list[str]:
        return ["training_scatter", "mode_histograms"]

    def check(self, params) -> None:
        for run in self.runs:
            if params.resolve_run(run).dataset is None:
                raise ValueError(f"run {run} trains on no mode-coverage dataset (runs.{run}.dataset: gaussian_ring, "
                                 "gaussian_grid or stacked)")
