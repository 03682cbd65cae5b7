"""Validated parameters of each prior family (pydantic, torch-free).

The `kind` field selects the family and `impl` its implementation; `ganpriors.registry.PRIORS`
is derived from SPECS below. A new prior: its spec here and its module under ganpriors.priors.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from ganpriors.schema import Component, Strict


class PriorComponent(Component):
    def check_latent_dim(self, dim: int) -> None:
        """Raise ValueError when this prior cannot produce `dim`-dimensional latents."""

    def check(self, run) -> None:
        self.check_latent_dim(run.model.z_dim)


class NormalSpec(PriorComponent):
    kind: Literal["normal"]
    impl = "ganpriors.priors.parametric:NormalPrior"
    loc: float = 0.0
    scale: float = Field(1.0, gt=0)


class UniformSpec(PriorComponent):
    kind: Literal["uniform"]
    impl = "ganpriors.priors.parametric:UniformPrior"
    low: float = -1.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ordered(self):
        if not self.high > self.low:
            raise ValueError(f"high ({self.high}) must be greater than low ({self.low})")
        return self


class GammaSpec(PriorComponent):
    kind: Literal["gamma"]
    impl = "ganpriors.priors.parametric:GammaPrior"
    shape: float = Field(1.0, gt=0)
    scale: float = Field(1.0, gt=0)
    # Random sign per dimension makes the latent zero-centred (our choice; the paper does not say).
    symmetric: bool = True


class CauchySpec(PriorComponent):
    kind: Literal["cauchy"]
    impl = "ganpriors.priors.parametric:CauchyPrior"
    loc: float = 0.0
    scale: float = Field(1.0, gt=0)


class TruncatedNormalSpec(PriorComponent):
    """BigGAN's truncation trick: N(0, 1) with |z_i| > threshold resampled."""

    kind: Literal["truncated_normal"]
    impl = "ganpriors.priors.truncated_normal:TruncatedNormalPrior"
    threshold: float = Field(gt=0)


class NonParametricFit(Strict):
    steps: int = Field(3000, ge=1, le=1_000_000)
    lr: float = Field(0.01, gt=0)
    seed: int = Field(0, ge=0)


class NonParametricSpec(PriorComponent):
    kind: Literal["nonparametric"]
    impl = "ganpriors.priors.nonparametric:NonParametricPrior"
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


class GeneBankSpec(PriorComponent):
    """StyleGenes (Ntavelis et al. 2023): `genes` banks of `variants` learnable vectors each; a latent
    concatenates one uniformly drawn variant per gene (variants ** genes distinct latents)."""

    kind: Literal["gene_bank"]
    impl = "ganpriors.priors.gene_bank:GeneBankPrior"
    genes: int = Field(ge=1, le=1024)
    variants: int = Field(ge=2, le=65536)
    init_std: float = Field(1.0, gt=0)  # banks start as N(0, init_std^2) draws

    def check_latent_dim(self, dim: int) -> None:
        if dim % self.genes:
            raise ValueError(f"model.z_dim {dim} must be a multiple of prior.genes {self.genes}")


class MappedNormalSpec(PriorComponent):
    """The StyleMapping baseline: z ~ N(0, I) through a learnable MLP (StyleGAN's mapping network),
    trained jointly with the generator. `hidden` sets the width so that the parameter count can
    match a gene bank's."""

    kind: Literal["mapped_normal"]
    impl = "ganpriors.priors.mapped_normal:MappedNormalPrior"
    hidden: int = Field(ge=1, le=65536)
    layers: int = Field(2, ge=1, le=16)  # linear layers (layers - 1 hidden activations)
    negative_slope: float = Field(0.2, ge=0, lt=1)


class ModesSpec(PriorComponent):
    """NEMGAN's engineered multimodal latent: z = onehot(c) in the last `modes` coordinates plus
    U(-noise, noise) on every coordinate. With `learnable`, pi = softmax(logits) is learned
    (NEMGAN-P); otherwise the modes are equiprobable and fixed (the original NEMGAN)."""

    kind: Literal["modes"]
    impl = "ganpriors.priors.modes:ModesPrior"
    modes: int = Field(ge=2, le=1024)
    noise: float = Field(0.3, ge=0)
    learnable: bool = False
    # Slope of the sigmoid steps of the reparameterised draw: w_k = s(u - c_{k-1}) - s(u - c_k).
    sharpness: float = Field(100.0, gt=0)

    def check_latent_dim(self, dim: int) -> None:
        if dim < self.modes:
            raise ValueError(f"model.z_dim {dim} must be at least prior.modes {self.modes}")

    def check(self, run) -> None:
        super().check(run)
        groups = len(run.view.groups) if run.view is not None and run.view.groups is not None else 10
        if groups != self.modes:
            raise ValueError(f"prior.modes {self.modes} must equal the {groups} groups of the run's "
                             "data (view.groups, or the 10 classes without a view)")


SPECS = (NormalSpec, UniformSpec, GammaSpec, CauchySpec, NonParametricSpec, GeneBankSpec, MappedNormalSpec,
         ModesSpec, TruncatedNormalSpec)
SPEC_BY_KIND = {spec.model_fields["kind"].annotation.__args__[0]: spec for spec in SPECS}

PriorSpec = Annotated[Union[SPECS], Field(discriminator="kind")]
