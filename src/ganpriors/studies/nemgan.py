"""Mishra et al. (NEMGAN, NEMGAN-P): mode matching with learned vs fixed mode priors on imbalanced
data; the learned pi against the true one, clustering of the inversion network's latent."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ganpriors.schema import Strict
from ganpriors.studies.base import Study


class NemganProbeSettings(Strict):
    n_per_mode: int = Field(1000, ge=10)       # generated images per mode for conditional accuracy
    grid_per_mode: int = Field(8, ge=1)
    kmeans_restarts: int = Field(10, ge=1)


class NemganStudy(Study):
    kind: Literal["nemgan"]
    title = "Mishra et al.: mode matching with learned vs fixed mode priors on imbalanced data"
    probe: NemganProbeSettings = NemganProbeSettings()
    impl = "ganpriors.report.nemgan:build_nemgan_report"
    reads = "probes"
    probe_impl = "ganpriors.probes.nemgan:probe_nemgan"
    summary_table = "nemgan.csv"
    tables = ("nemgan.csv", "nemgan.md", "nemgan.tex", "mode_prior.csv", "mode_prior.md", "all_scores.csv")

    def figures(self) -> list[str]:
        return ["pi_trajectory"] + [f"modes_{run}" for run in self.runs]

    def training_curves(self, params) -> dict[str, dict[str, tuple[str, ...]]]:
        """The mode prior pi over training, beside the losses (the inversion hook logs pi_k)."""
        pi = {run: tuple(f"pi_{k}" for k in range(params.resolve_run(run).prior.modes)) for run in self.runs}
        return {**super().training_curves(params), "mode prior pi": pi}

    def check(self, params) -> None:
        for run in self.runs:
            if params.resolve_run(run).prior.kind != "modes":
                raise ValueError(f"run {run} has no 'modes' prior, which this study's probe measures")
