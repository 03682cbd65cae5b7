"""Validated parameters of each prior family (pydantic, torch-free).

The `kind` field selects the family; `ganpriors.registry.PRIORS` maps it to the implementation.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class NormalSpec(Strict):
    kind: Literal["normal"]
    loc: float = 0.0
    scale: float = Field(1.0, gt=0)


class UniformSpec(Strict):
    kind: Literal["uniform"]
    low: float = -1.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ordered(self):
        if not self.high > self.low:
            raise ValueError(f"high ({self.high}) must be greater than low ({self.low})")
        return self


class GammaSpec(Strict):
    kind: Literal["gamma"]
    shape: float = Field(1.0, gt=0)
    scale: float = Field(1.0, gt=0)
    # Random sign per dimension makes the latent zero-centred (our choice; the paper does not say).
    symmetric: bool = True


class CauchySpec(Strict):
    kind: Literal["cauchy"]
    loc: float = 0.0
    scale: float = Field(1.0, gt=0)


class NonParametricFit(Strict):
    steps: int = Field(3000, ge=1, le=1_000_000)
    lr: float = Field(0.01, gt=0)
    seed: int = Field(0, ge=0)


class NonParametricSpec(Strict):
    kind: Literal["nonparametric"]
    bins: int = Field(1024, ge=16, le=65536)
    low: float = -2.0
    high: float = 2.0
    # Var_index(p) / bins >= variance_floor (variance in bin-index units), as in Singh et al.
    variance_floor: float = Field(0.75, gt=0)
    fit: NonParametricFit = NonParametricFit()

    @model_validator(mode="after")
    def _check(self):
        if not self.high > self.low:
            raise ValueError(f"high ({self.high}) must be greater than low ({self.low})")
        # The uniform pmf has the largest variance among pmfs on the grid up to edge effects;
        # a floor beyond (bins^2/4)/bins is infeasible.
        if self.variance_floor >= self.bins / 4:
            raise ValueError(f"variance_floor {self.variance_floor} is infeasible for {self.bins} bins (< bins/4 required)")
        return self


SPECS = (NormalSpec, UniformSpec, GammaSpec, CauchySpec, NonParametricSpec)
SPEC_BY_KIND = {spec.model_fields["kind"].annotation.__args__[0]: spec for spec in SPECS}

PriorSpec = Annotated[Union[SPECS], Field(discriminator="kind")]
