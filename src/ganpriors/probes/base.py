"""What a probe gets and returns.

A probe measures what one study is about on one trained run and seed (conditional sampling from a
gene bank, k-means on NEMGAN's inversion network, ...). It returns JSON-able numbers and image
grids; the study's report builds tables and figures from these alone, so that the report stage
depends on nothing but the probe files.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class ProbeContext:
    run: object                    # ResolvedRun
    generator: nn.Module           # eval mode, on `device`
    prior: object                  # the prior as trained (learned state restored), on `device`
    aux: dict                      # regulariser name -> {module name: nn.Module} (eval mode, on device)
    classifier: nn.Module          # the evaluation SmallCNN (eval mode, on device); input float [-1, 1]
    test: object                   # data.views.ViewedSplit: the test split under the run's view
    group_of_class: torch.Tensor   # original class label -> group label (-1: outside the view)
    true_prior: list[float]        # share of each group in the viewed training split
    train_log: object              # pandas DataFrame of train_log.csv
    settings: object               # the study's probe settings (pydantic model)
    z_dim: int
    seed: int                      # the run's seed; probes draw from torch.Generator seeded by it
    device: torch.device
    meta: dict | None = None       # the generator file's metadata (None: a context built from parts)
    eval_settings: object = None   # params `eval`: probes that score images as the evaluate stage does
    classifier_path: object = None # the evaluation classifier's weights file (their feature extractor)
    trained: object = None         # the loaded artifacts.TrainedModel (with its instances, for IC-GAN)

    @property
    def model(self):
        """The trained model (artifacts.TrainedModel) over this context's generator and prior: what
        probes sample through, so that conditioning is handled in one place."""
        from ganpriors.artifacts import TrainedModel

        if self.trained is not None:
            return self.trained
        return TrainedModel(self.generator, self.prior, self.meta or {"model": {"z_dim": self.z_dim}},
                            device=torch.device(self.device))


@dataclass
class Grid:
    """Images for a figure: rows x cols uint8 images (N x C x H x W, row-major) and axis labels."""

    images: torch.Tensor
    rows: int
    cols: int
    row_labels: list[str] = field(default_factory=list)
    col_labels: list[str] = field(default_factory=list)


@dataclass
class ProbeResult:
    numbers: dict                  # JSON-able; written to the probe's .json
    grids: dict[str, Grid] = field(default_factory=dict)  # written to the probe's .safetensors
