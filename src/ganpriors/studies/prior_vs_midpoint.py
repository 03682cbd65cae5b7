"""Singh et al., ICML 2019: does a prior whose mid-points follow the prior keep its quality along
interpolations? IS/FID on prior samples vs G((1 - lambda) z1 + lambda z2), the fitted pmf."""
from __future__ import annotations

from typing import Literal

from ganpriors.studies.base import PlotData, Study


class PriorVsMidpointStudy(Study):
    kind: Literal["prior_vs_midpoint"]
    title = "Singh et al., ICML 2019: IS/FID on prior samples vs mid-points of interpolations"
    impl = "ganpriors.report:build_prior_vs_midpoint"
    tables = ("prior_vs_midpoint.csv", "prior_vs_midpoint.md", "prior_vs_midpoint.tex", "all_scores.csv",
              "prior_kl.md", "prior_kl.csv")
    summary_table, summary_key = "prior_vs_midpoint.csv", ("prior",)

    def plot_data(self) -> tuple[PlotData, ...]:
        return (PlotData("fid_vs_lambda", "ganpriors.report.summary:fid_vs_lambda", x="lambda",
                         title="FID of G((1 - lambda) z1 + lambda z2), mean over seeds (lambda 0: prior samples)"),)

    def figures(self) -> list[str]:
        return ["samples", "interpolations", "fid_vs_lambda", "prior_pmf"]

    def check(self, params) -> None:
        if 0.5 not in params.eval.fake.lambdas:
            raise ValueError("eval.fake.lambdas must include 0.5 (the mid-point of the paper's table)")
        for run in self.runs:
            if not params.resolve_run(run).interpolations:
                raise ValueError(f"run {run} sets interpolations: false, but this study scores its mid-points")
