"""Validated settings of the benchmark datasets a run may train on (pydantic, torch-free).

A run without `dataset:` trains on Fashion-MNIST (the prepared file, optionally under a `view`).
The mode-coverage benchmarks are datasets of their own, each carrying its evaluation protocol:
- gaussian_ring / gaussian_grid: 2-D mixtures of equal-weight isotropic Gaussians (a ring of 8
  and a 5 x 5 grid in the literature); a generated point is high quality when it lies within
  quality_std standard deviations of its nearest mode.
- stacked: three independent Fashion-MNIST training images as the three channels of one image,
  10^3 = 1000 modes; modes are counted by labelling each channel with the evaluation classifier.
`ganpriors.registry.DATASETS` is derived from SPECS below (each spec names its `impl`).
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import Field

from ganpriors.schema import Component


class DatasetComponent(Component):
    # Images a batch is drawn from; None: every batch is drawn afresh (any batch size fits).
    train_size: ClassVar[Optional[int]] = None

    def check(self, run) -> None:
        if run.view is not None:
            raise ValueError(f"dataset {self.kind} cannot be combined with a view or mode_matching "
                             "(both need labelled Fashion-MNIST images)")
        if self.points != (run.model.net == "mlp"):
            raise ValueError(f"model.net {run.model.net!r} does not fit the data: use net mlp for the 2-D "
                             "gaussian_ring/gaussian_grid datasets and dcgan for images")


class MixtureSpec(DatasetComponent):
    impl = "ganpriors.data.benchmarks:MixtureData"
    std: float = Field(gt=0)                        # standard deviation of every mode
    eval_samples: int = Field(2500, ge=100)         # generated points scored by the evaluate stage
    quality_std: float = Field(3.0, gt=0)           # high quality: within this many std of a mode
    snapshots: int = Field(6, ge=0, le=32)          # generator samples saved during training (figure)
    snapshot_samples: int = Field(1000, ge=10)      # points per snapshot (fixed latents)

    @property
    def shape(self) -> tuple[int, ...]:
        return (2,)

    @property
    def points(self) -> bool:
        return True


class GaussianRingSpec(MixtureSpec):
    kind: Literal["gaussian_ring"]
    modes: int = Field(8, ge=2, le=1000)
    radius: float = Field(2.0, gt=0)
    std: float = Field(0.02, gt=0)

    @property
    def n_modes(self) -> int:
        return self.modes


class GaussianGridSpec(MixtureSpec):
    kind: Literal["gaussian_grid"]
    side: int = Field(5, ge=2, le=100)              # side x side modes
    spacing: float = Field(2.0, gt=0)               # distance between neighbouring modes
    std: float = Field(0.05, gt=0)

    @property
    def n_modes(self) -> int:
        return self.side ** 2


class StackedSpec(DatasetComponent):
    kind: Literal["stacked"]
    impl = "ganpriors.data.benchmarks:StackedData"
    channels: int = Field(3, ge=2, le=4)            # 10^channels modes
    eval_samples: int = Field(26000, ge=1000)       # >= 26,000 in the literature for 1000 modes

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.channels, 28, 28)

    @property
    def points(self) -> bool:
        return False

    @property
    def n_modes(self) -> int:
        return 10 ** self.channels


SPECS = (GaussianRingSpec, GaussianGridSpec, StackedSpec)
SPEC_BY_KIND = {spec.model_fields["kind"].annotation.__args__[0]: spec for spec in SPECS}
DatasetSpec = Annotated[Union[SPECS], Field(discriminator="kind")]


def parse_dataset(raw: dict):
    """A dataset spec from its dict (a run's metadata: generator file, train.json)."""
    return SPEC_BY_KIND[raw["kind"]].model_validate(raw)
