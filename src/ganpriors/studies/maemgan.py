"""Liu et al., AAAI 2023 (MaEM-GAN): the regulariser ablation on an embedding discriminator, with
DCGAN and WGAN-GP baselines; the paper's CIFAR-10 rows beside ours."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ganpriors.studies.base import Study

# Rows of MaEM-GAN's CIFAR-10 ablation (ganpriors.report.paper) a run may stand beside.
MAEMGAN_PAPER_ROWS = ("baseline", "disomap", "disomap_dlle", "disomap_rb_maem", "all", "wgan_gp", "dcgan")


class MaemganStudy(Study):
    kind: Literal["maemgan"]
    title = "Liu et al., AAAI 2023: the MaEM-GAN regulariser ablation on an embedding discriminator"
    # run -> the paper's ablation row it reproduces (its CIFAR-10 numbers are shown beside ours)
    paper_rows: dict[str, Literal[MAEMGAN_PAPER_ROWS]] = Field(default_factory=dict)
    impl = "ganpriors.report.maemgan:build_maemgan_report"
    run_files = Study.run_files + ("train_summary",)
    summary_table = "maemgan.csv"
    tables = ("maemgan.csv", "maemgan.md", "maemgan.tex", "all_scores.csv")

    def figures(self) -> list[str]:
        return ["samples", "fid_ablation"]

    @model_validator(mode="after")
    def _rows(self):
        for run in self.paper_rows:
            if run not in self.runs:
                raise ValueError(f"paper_rows: '{run}' is not one of the study's runs ({', '.join(self.runs)})")
        return self
