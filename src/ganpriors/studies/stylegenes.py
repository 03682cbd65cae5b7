"""Ntavelis et al. 2023 (StyleGenes): learnable gene banks vs a Normal prior and a mapping MLP of
equal size; class information per gene; conditional sampling from an unconditional model."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ganpriors.schema import Strict
from ganpriors.studies.base import Study


class StyleGenesProbeSettings(Strict):
    n_samples: int = Field(10000, ge=100)      # generated images labelled by the classifier
    n_conditional: int = Field(500, ge=10)     # conditional samples per requested class
    smoothing: float = Field(1.0, ge=0)        # add-alpha counts in p(variant | class)
    chunks: int = Field(8, ge=1)               # continuous latents are split into this many chunks ...
    clusters: int = Field(64, ge=2)            # ... each discretised by k-means into this many codes
    coordinate_bins: int = Field(16, ge=2)     # quantile bins per latent coordinate
    grid_variants: int = Field(8, ge=2)        # columns of the gene-swap figure
    grid_per_class: int = Field(8, ge=1)       # columns of the class-conditional figure


class StyleGenesStudy(Study):
    kind: Literal["stylegenes"]
    title = "Ntavelis et al. 2023: gene banks vs a Normal prior and a mapping MLP of equal size"
    probe: StyleGenesProbeSettings = StyleGenesProbeSettings()
    impl = "ganpriors.report.stylegenes:build_stylegenes_report"
    reads = "probes"
    probe_impl = "ganpriors.probes.stylegenes:probe_stylegenes"
    summary_table = "stylegenes.csv"
    tables = ("stylegenes.csv", "stylegenes.md", "stylegenes.tex", "conditional_accuracy.csv",
              "conditional_accuracy.md", "all_scores.csv")

    def figures(self) -> list[str]:
        return [f"{kind}_{run}" for run in self.runs for kind in ("gene_swap", "class_conditional")]
