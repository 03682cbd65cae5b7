"""The core schema of params.yaml and its loading.

Validation happens before any stage writes anything: an unknown key, a wrong type or an
out-of-range value raises GanpriorsError with one line naming the key path, the value and what is
allowed (ganpriors.config.errors). The file must also read the same under PyYAML (Snakemake,
YAML 1.1) and ruamel (DVC, YAML 1.2), otherwise the two tools would run different experiments.

Reading the file (duplicate keys refused, the parity check) is ganpriors.config.yaml_io.
Components (priors, datasets, nets, regularisers, studies) own their settings and cross-checks
in their own modules; this module only assembles them.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from ganpriors import registry
from ganpriors.config.claims import Claim, check_claims
from ganpriors.config.errors import check_finite, first_problem, one_line, unknown_key
from ganpriors.config.yaml_io import read_yaml  # noqa: F401  (the public name: ganpriors.config.read_yaml)
from ganpriors.data.instance_settings import InstanceSettings
from ganpriors.data.settings import DataSettings, ViewSettings, check_batch_size
from ganpriors.data.specs import DatasetSpec
from ganpriors.errors import GanpriorsError
from ganpriors.priors.specs import PriorSpec
from ganpriors.regularisers.specs import SETTINGS as REGULARISER_SETTINGS
from ganpriors.schema import PinnedWeights, Strict  # noqa: F401  (PinnedWeights: its public name here)
from ganpriors.studies import StudySettings

DEFAULT_PARAMS = Path("params.yaml")
RUN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def registered(table, what: str):
    """A str type whose value must be a name in `table` (a registry)."""
    def check(value: str) -> str:
        if value not in table:
            raise ValueError(f"unknown {what} '{value}' (allowed: {', '.join(sorted(table))})")
        return value

    return Annotated[str, AfterValidator(check)]


def _device(value: str) -> str:
    if not re.match(r"^(auto|cpu|cuda(:\d+)?)$", value):
        raise ValueError(f"device '{value}' must be auto, cpu, cuda or cuda:N")
    return value


Device = Annotated[str, AfterValidator(_device)]  # auto (CUDA when present), cpu, cuda, cuda:N


class ClassifierSettings(Strict):
    # The evaluation classifier used for every score; null = train one with the settings below
    # (a different feature space: its scores are labelled with the new weights' hash).
    pinned: Optional[PinnedWeights] = None
    epochs: int = Field(ge=1, le=100)
    batch_size: int = Field(ge=1)
    lr: float = Field(gt=0)
    width: int = Field(32, ge=4)
    seed: int = Field(0, ge=0)
    # torch CPU threads. Fixed by params, not by the executor: float reductions split across a
    # different number of threads give different bits, and both tools must write the same files.
    threads: int = Field(2, ge=1, le=256)
    # The stage fails if the evaluation network is worse than this on the test split.
    min_test_accuracy: float = Field(0.9, ge=0, le=1)


class ModelSettings(Strict):
    net: registered(registry.NETS, "net")
    z_dim: int = Field(ge=1, le=4096)
    g_channels: int = Field(ge=1)
    d_channels: int = Field(ge=1)
    # Normalisation in the discriminator: WGAN-GP's critic must not use batch norm (the penalty is
    # per sample), so its runs set none or layer; spectral = spectral norm on every weight (MaEM-GAN).
    d_norm: Literal["batch", "layer", "none", "spectral"] = "batch"
    # Outputs of the discriminator: 1 is a logit/critic value; m > 1 is MaEM-GAN's m-dimensional
    # embedding, on which the adversarial loss is averaged.
    d_outputs: int = Field(1, ge=1, le=1024)
    # The class-conditional ResNet nets (sagan, biggan; ganpriors.nets.conditional_specs):
    # resolutions (side of the square feature map) at which G and D get a self-attention block,
    attention: list[int] = Field(default_factory=list)
    # BigGAN's shared class embedding (its size), and whether D adds the projection term
    # <embed(y), phi(x)> to its logit (ADC-GAN's official D does not: class information then
    # reaches D only through the ADC head).
    shared_dim: int = Field(32, ge=1, le=4096)
    d_projection: bool = True
    # BigGAN's hierarchical z (biggan, icgan): z split into one chunk for the first layer and one per
    # G block; false = the whole z into the first layer only (the paper's ablation), the blocks'
    # batch norms conditioned on the shared embedding alone.
    hierarchical: bool = True


class TrainSettings(Strict):
    loss: registered(registry.LOSSES, "loss")
    steps: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    lr_g: float = Field(gt=0)
    lr_d: float = Field(gt=0)
    beta1: float = Field(ge=0, lt=1)
    beta2: float = Field(ge=0, lt=1)
    log_every: int = Field(ge=1)
    checkpoint_every: int = Field(ge=1)
    n_critic: int = Field(1, ge=1, le=100)  # discriminator updates per generator update
    gp_weight: float = Field(10.0, ge=0)    # gradient-penalty weight (wgan-gp only)
    # Throughput (benchmarks/bench_train.py): the conv nets' weights in channels_last layout and
    # Adam's fused kernel are faster on this CPU. They change the bits of a run (other kernels), not
    # what it computes; a run records both in its train.json.
    memory_format: Literal["contiguous", "channels_last"] = "contiguous"
    adam: Literal["foreach", "fused"] = "foreach"
    # G's and D's optimiser (ganpriors.train.optimizers): adam (beta1, beta2), or rmsprop (WGAN with
    # weight clipping; beta1/beta2 unused).
    optimizer: registered(registry.OPTIMIZERS, "optimizer") = "adam"

    @model_validator(mode="after")
    def _adam_kernel(self):
        if self.optimizer != "adam" and self.adam == "fused":
            raise ValueError(f"adam: fused is Adam's kernel; remove it (train.optimizer is {self.optimizer})")
        return self


class Defaults(Strict):
    device: Device = "auto"
    threads: int = Field(1, ge=1, le=256)  # torch CPU threads per training job (see classifier.threads)
    model: ModelSettings
    train: TrainSettings


class ResolvedRun(Defaults):
    """A run after deep-merging its overrides into `defaults`."""

    name: str
    prior: PriorSpec
    view: Optional[ViewSettings] = None
    # Training data other than Fashion-MNIST: a mode-coverage benchmark (ganpriors.data.specs).
    dataset: Optional[DatasetSpec] = None
    regularisers: dict[str, Any] = Field(default_factory=dict)
    # IC-GAN's instances and neighbourhoods (model.net: icgan; ganpriors.data.instance_settings).
    instances: Optional[InstanceSettings] = None
    # Also score interpolations (eval.fake.lambdas): the non-parametric-prior study's question;
    # other studies turn it off to save the evaluation time.
    interpolations: bool = True

    @field_validator("regularisers")
    @classmethod
    def _regularisers(cls, v: dict) -> dict:
        out = {}
        for name, options in v.items():
            if name not in registry.REGULARISERS:
                raise ValueError(f"unknown regulariser '{name}' (allowed: {', '.join(sorted(registry.REGULARISERS))})")
            try:
                out[name] = REGULARISER_SETTINGS[name].model_validate(options if options is not None else {})
            except ValidationError as exc:
                err, missing = first_problem(exc.errors())
                where = ".".join(str(p) for p in err["loc"])
                if err["type"] == "extra_forbidden":
                    allowed = sorted(REGULARISER_SETTINGS[name].model_fields)
                    raise ValueError(unknown_key(f"{name}.{where}", err["input"], allowed, missing)[0]) from None
                raise ValueError(f"{name}.{where} = {err.get('input')!r}: {err['msg']}") from None
        return out

    @model_validator(mode="after")
    def _consistent(self):
        # Each component checks the run it is used in (its own module knows what it needs).
        self.prior.check(self)
        net = registry.NETS.spec(self.model.net)
        net.check(self)
        if not self.model.hierarchical and not net.hierarchical_z:
            allowed = sorted(k for k in registry.NETS if registry.NETS.spec(k).hierarchical_z)
            raise ValueError(f"model.hierarchical false: model.net {self.model.net!r} feeds z to its first layer "
                             f"only; the setting is for the nets with hierarchical z ({', '.join(allowed)})")
        if self.dataset is not None:
            self.dataset.check(self)
        for options in self.regularisers.values():
            options.check(self)
        if self.instances is not None:
            self.instances.check(self)
        check_batch_size(self)
        return self


class FeatureExtractorSettings(Strict):
    name: registered(registry.FEATURE_EXTRACTORS, "feature extractor")
    # Local weights file: required for inception-v3-compat (no downloads here), unused by classifier.
    weights: Optional[str] = None


class RealSettings(Strict):
    split: Literal["test", "train"]
    n: int = Field(ge=10)


class FakeSettings(Strict):
    n: int = Field(ge=10)
    # Interpolation weights: z = (1 - lambda) z1 + lambda z2. 0.5 is the mid-point.
    lambdas: list[float] = Field(min_length=1)
    seed: int = Field(0, ge=0)

    @field_validator("lambdas")
    @classmethod
    def _lambdas(cls, v: list[float]) -> list[float]:
        for x in v:
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"lambda {x} must lie in [0, 1]")
        return v


class EvalSettings(Strict):
    feature_extractor: FeatureExtractorSettings
    real: RealSettings
    fake: FakeSettings
    batch_size: int = Field(ge=1)
    kid_subset_size: int = Field(ge=2)
    prc_neighborhood: int = Field(3, ge=1)
    device: Device = "auto"
    threads: int = Field(1, ge=1, le=256)  # torch CPU threads per evaluation job


class ReportSettings(Strict):
    sample_grid: int = Field(8, ge=1, le=32)
    interp_steps: int = Field(9, ge=3, le=33)
    interp_rows: int = Field(4, ge=1, le=16)
    decimals: int = Field(3, ge=0, le=8)
    # Spread over seeds shown in tables: sample standard deviation.
    spread: Literal["std", "sem"] = "std"
    dpi: int = Field(120, ge=50, le=600)


class Params(Strict):
    data: DataSettings
    classifier: ClassifierSettings
    seeds: list[int] = Field(min_length=1)
    defaults: Defaults
    runs: dict[str, dict[str, Any]] = Field(min_length=1)
    studies: dict[str, StudySettings] = Field(min_length=1)
    eval: EvalSettings
    report: ReportSettings
    # The papers' claims, each a rule over the studies' tables (ganpriors.config.claims).
    claims: dict[str, Claim] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _study_runs(self):
        for name, study in self.studies.items():
            if not RUN_NAME.match(name):
                raise ValueError(f"study name '{name}' must match {RUN_NAME.pattern}")
            for run in study.runs:
                if run not in self.runs:
                    raise ValueError(f"studies.{name}.runs: '{run}' is not a run (runs are {', '.join(self.runs)})")
        for name in self.claims:
            if not RUN_NAME.match(name):
                raise ValueError(f"claim name '{name}' must match {RUN_NAME.pattern}")
        check_claims(self.claims, self.studies)
        return self

    def check_studies(self) -> None:
        """Each study's own cross-checks against the rest of params (after the runs validate)."""
        for name, study in self.studies.items():
            try:
                study.check(self)
            except ValueError as exc:
                raise GanpriorsError(f"params.yaml: studies.{name}: {exc}") from None

    def check_runs(self, runs: dict) -> None:
        """Cross-checks of resolved runs against the rest of params (IC-GAN's classifier)."""
        for name, run in runs.items():
            if run.instances is not None:
                try:
                    run.instances.check_params(self)
                except ValueError as exc:
                    raise GanpriorsError(f"params.yaml: runs.{name}.instances.classifier: {exc}") from None

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v) or any(s < 0 for s in v):
            raise ValueError(f"seeds {v} must be distinct non-negative integers")
        return v

    @field_validator("runs")
    @classmethod
    def _run_names(cls, v: dict) -> dict:
        for name in v:
            if not RUN_NAME.match(name):
                raise ValueError(f"run name '{name}' must match {RUN_NAME.pattern} (it is used in paths and stage names)")
        return v

    def resolve_run(self, name: str) -> ResolvedRun:
        if name not in self.runs:
            raise GanpriorsError(f"unknown run '{name}': params.yaml runs are {', '.join(self.runs)}")
        return _resolve_run(self.defaults.model_dump(), name, self.runs[name])

    def resolved_runs(self) -> dict[str, ResolvedRun]:
        return {name: self.resolve_run(name) for name in self.runs}


# ---------------------------------------------------------------------------------------------
# Loading


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _resolve_run(defaults: dict, name: str, overrides: dict) -> ResolvedRun:
    if not isinstance(overrides, dict) or "prior" not in overrides:
        raise GanpriorsError(
            f"params.yaml: runs.{name}: every run needs a 'prior' mapping with a 'kind' "
            f"(one of {', '.join(registry.PRIORS)})"
        )
    merged = deep_merge(defaults, {k: v for k, v in overrides.items() if k != "prior"})
    merged["prior"] = overrides["prior"]
    merged["name"] = name
    try:
        return ResolvedRun.model_validate(merged)
    except ValidationError as exc:
        raise GanpriorsError(one_line(exc, ResolvedRun, prefix=f"runs.{name}")) from None


def validate_params(raw: Any, source: str = "params.yaml") -> Params:
    if not isinstance(raw, dict):
        raise GanpriorsError(f"{source}: the file must be a YAML mapping of sections (data, defaults, runs, ...)")
    check_finite(raw, source)  # before the schema: .nan and .inf pass some of its range checks
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        raise GanpriorsError(one_line(exc, Params).replace("params.yaml", source, 1)) from None
    try:
        params.check_runs(params.resolved_runs())  # validates every run's overrides and prior
        params.check_studies()
    except GanpriorsError as exc:
        raise GanpriorsError(str(exc).replace("params.yaml", source, 1)) from None
    return params


def load_params(path: Path | str = DEFAULT_PARAMS) -> Params:
    return validate_params(read_yaml(path), source=str(path))
