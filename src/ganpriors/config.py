"""Load and validate params.yaml, the single source of truth of a study.

Validation happens before any stage writes anything: an unknown key, a wrong type or an
out-of-range value raises GanpriorsError with one line naming the key path, the value and what is
allowed. The file must also read the same under PyYAML (Snakemake, YAML 1.1) and ruamel (DVC,
YAML 1.2), otherwise the two tools would run different experiments from one file.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ganpriors import registry
from ganpriors.data.specs import DatasetSpec
from ganpriors.errors import GanpriorsError
from ganpriors.priors.specs import PriorSpec

DEFAULT_PARAMS = Path("params.yaml")
RUN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _registered(table: dict[str, str], what: str):
    def check(value: str) -> str:
        if value not in table:
            raise ValueError(f"unknown {what} '{value}' (allowed: {', '.join(sorted(table))})")
        return value

    return check


class DataSettings(Strict):
    dataset: Literal["fashion-mnist"]
    # Tried in order: local folders (absolute paths) and https:// base URLs.
    sources: list[str] = Field(min_length=1)
    # File name (without .gz) -> SHA-256 of the *decompressed* IDX payload. Mirrors recompress the
    # archives (the Debian package does), so the payload is what is invariant across sources.
    files: dict[str, str] = Field(min_length=1)
    timeout_s: float = Field(60.0, gt=0)

    @field_validator("sources")
    @classmethod
    def _sources(cls, sources: list[str]) -> list[str]:
        from ganpriors.data.sources import is_allowed_source

        for s in sources:
            if not is_allowed_source(s):
                raise ValueError(f"source '{s}' must be an https:// URL or an absolute local folder")
        return sources

    @field_validator("files")
    @classmethod
    def _files(cls, files: dict[str, str]) -> dict[str, str]:
        for name, digest in files.items():
            if not SHA256.match(digest):
                raise ValueError(f"files.{name}: '{digest}' is not a 64-hex-digit SHA-256")
        return files


class ClassifierSettings(Strict):
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
    net: str
    z_dim: int = Field(ge=1, le=4096)
    g_channels: int = Field(ge=1)
    d_channels: int = Field(ge=1)
    # Normalisation in the discriminator: WGAN-GP's critic must not use batch norm (the penalty is
    # per sample), so its runs set none or layer; spectral = spectral norm on every weight (MaEM-GAN).
    d_norm: Literal["batch", "layer", "none", "spectral"] = "batch"
    # Outputs of the discriminator: 1 is a logit/critic value; m > 1 is MaEM-GAN's m-dimensional
    # embedding, on which the adversarial loss is averaged.
    d_outputs: int = Field(1, ge=1, le=1024)

    _net = field_validator("net")(classmethod(lambda cls, v: _registered(registry.NETS, "net")(v)))


class TrainSettings(Strict):
    loss: str
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

    _loss = field_validator("loss")(classmethod(lambda cls, v: _registered(registry.LOSSES, "loss")(v)))


Device = str  # "auto", "cpu", "cuda", "cuda:N"


def _check_device(v: str) -> str:
    if not re.match(r"^(auto|cpu|cuda(:\d+)?)$", v):
        raise ValueError(f"device '{v}' must be auto, cpu, cuda or cuda:N")
    return v


class Defaults(Strict):
    device: Device = "auto"
    threads: int = Field(1, ge=1, le=256)  # torch CPU threads per training job (see classifier.threads)
    model: ModelSettings
    train: TrainSettings

    _device = field_validator("device")(classmethod(lambda cls, v: _check_device(v)))


class ViewSettings(Strict):
    """Which classes a run sees, grouped how, in what proportions (see ganpriors.data.views)."""

    # Each inner list of original class labels is one group (a mode for NEMGAN); classes in no group
    # are left out. Default: every class its own group.
    groups: Optional[list[list[int]]] = None
    # Resample each split so that the groups have exactly these shares (e.g. [0.8, 0.2]).
    proportions: Optional[list[float]] = None
    seed: int = Field(0, ge=0)

    @field_validator("groups")
    @classmethod
    def _groups(cls, v):
        if v is None:
            return v
        flat = [c for g in v for c in g]
        if not v or any(not g for g in v) or len(set(flat)) != len(flat) or any(not 0 <= c <= 9 for c in flat):
            raise ValueError(f"groups {v} must be non-empty lists of distinct class labels 0..9")
        return v

    @model_validator(mode="after")
    def _proportions(self):
        if self.proportions is not None:
            n = len(self.groups) if self.groups is not None else 10
            if len(self.proportions) != n or any(p <= 0 for p in self.proportions) or abs(sum(self.proportions) - 1) > 1e-6:
                raise ValueError(f"proportions {self.proportions} must be {n} positive shares summing to 1")
        return self


class ModeMatchingSettings(Strict):
    """NEMGAN's inversion network and mode-matching loss (Mishra et al.), with the learned mode
    prior update of NEMGAN-P when the run's prior is `modes` with learnable: true."""

    z_weight: float = Field(10.0, ge=0)        # 10 * MSE(E_z(G(z)), z)
    mode_weight: float = Field(1.0, ge=0)      # cross-entropy(E_c(G(z)), c)
    channels: int = Field(32, ge=1)            # width of the inversion network
    lr: float = Field(1.0e-4, gt=0)            # inversion network's Adam (betas from train)
    n_sup: int = Field(0, ge=0)                # labelled real images for E_c (oversampled to balance)
    sup_weight: float = Field(1.0, ge=0)
    prior_lr: float = Field(1.0e-3, gt=0)      # Adam on the mode logits (NEMGAN-P)
    prior_warmup: int = Field(0, ge=0)         # generator steps before the prior update starts


class ReplayBufferEntropySettings(Strict):
    """RB-MaEM (Liu et al., AAAI 2023): the generator minimises cos(V0, V*) + norm_weight ||V0|| for
    each generated embedding V0 and its nearest (cosine) neighbour V* in a FIFO buffer of the last
    buffer_size generated embeddings, weighted by `weight` (the paper's sigma)."""

    weight: float = Field(5.0e-4, ge=0)        # sigma
    buffer_size: int = Field(1024, ge=1)
    norm_weight: float = Field(1.0e-3, ge=0)   # lambda
    warmup: int = Field(0, ge=0)               # generator steps over which the weight ramps up linearly
    # The authors' code also spreads the real embeddings inside the discriminator step (own buffer).
    real_in_discriminator: bool = False


class LocalLinearitySettings(Strict):
    """DLLE: the discriminator's embedding is stable under F = a small random rotation plus Gaussian
    noise: weight * E ||D(F(x)) - D(x)||^2 on real and generated samples."""

    weight: float = Field(1.0, ge=0)
    max_angle: float = Field(10.0, ge=0, le=180)   # degrees; rotation angle ~ U(-max, max)
    noise_std: float = Field(0.01, ge=0)           # in data units ([-1, 1] for images)


class IsometrySettings(Strict):
    """DIsoMap: the embedding of a convex combination of a real and a generated sample equals the same
    combination of their embeddings: weight * E[1 - cos(D(a x + (1-a) y), a D(x) + (1-a) D(y))]."""

    weight: float = Field(1.0, ge=0)


REGULARISER_SETTINGS = {"mode_matching": ModeMatchingSettings, "rb_maem": ReplayBufferEntropySettings,
                        "dlle": LocalLinearitySettings, "disomap": IsometrySettings}


class ResolvedRun(Defaults):
    """A run after deep-merging its overrides into `defaults`."""

    name: str
    prior: PriorSpec
    view: Optional[ViewSettings] = None
    # Training data other than Fashion-MNIST: a mode-coverage benchmark (ganpriors.data.specs).
    dataset: Optional[DatasetSpec] = None
    regularisers: dict[str, Any] = Field(default_factory=dict)
    # Also score interpolations (eval.fake.lambdas): the non-parametric-prior study's question;
    # other studies turn it off to save the evaluation time.
    interpolations: bool = True

    @field_validator("regularisers")
    @classmethod
    def _regularisers(cls, v: dict) -> dict:
        out = {}
        for name, options in v.items():
            _registered(registry.REGULARISERS, "regulariser")(name)
            try:
                out[name] = REGULARISER_SETTINGS[name].model_validate(options if options is not None else {})
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                if err["type"] == "extra_forbidden":
                    allowed = ", ".join(sorted(REGULARISER_SETTINGS[name].model_fields))
                    raise ValueError(f"unknown key {name}.{where}; allowed keys here: {allowed}") from None
                raise ValueError(f"{name}.{where} = {err.get('input')!r}: {err['msg']}") from None
        return out

    @model_validator(mode="after")
    def _consistent(self):
        self.prior.check_latent_dim(self.model.z_dim)
        if "mode_matching" in self.regularisers and self.prior.kind != "modes":
            raise ValueError("regulariser mode_matching needs prior kind 'modes'")
        if self.dataset is not None and (self.view is not None or "mode_matching" in self.regularisers):
            raise ValueError(f"dataset {self.dataset.kind} cannot be combined with a view or mode_matching "
                             "(both need labelled Fashion-MNIST images)")
        points = self.dataset is not None and self.dataset.points
        if points != (self.model.net == "mlp"):
            raise ValueError(f"model.net {self.model.net!r} does not fit the data: use net mlp for the 2-D "
                             "gaussian_ring/gaussian_grid datasets and dcgan for images")
        if points and self.model.d_norm not in ("none", "spectral"):
            raise ValueError(f"model.d_norm {self.model.d_norm!r}: the mlp discriminator supports none or spectral")
        for name in ("rb_maem", "disomap"):
            if name in self.regularisers and self.model.d_outputs < 2:
                raise ValueError(f"regulariser {name} compares embedding directions (cosine): set model.d_outputs "
                                 "to the embedding size m >= 2 (16 in the paper)")
        if self.prior.kind == "modes":
            groups = len(self.view.groups) if self.view is not None and self.view.groups is not None else 10
            if groups != self.prior.modes:
                raise ValueError(f"prior.modes {self.prior.modes} must equal the {groups} groups of the run's "
                                 "data (view.groups, or the 10 classes without a view)")
        return self


class FeatureExtractorSettings(Strict):
    name: str
    # Local weights file: required for inception-v3-compat (no downloads here), unused by classifier.
    weights: Optional[str] = None

    _name = field_validator("name")(
        classmethod(lambda cls, v: _registered(registry.FEATURE_EXTRACTORS, "feature extractor")(v))
    )


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
        if 0.5 not in v:
            raise ValueError("lambdas must include 0.5 (the mid-point of the paper's table)")
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

    _device = field_validator("device")(classmethod(lambda cls, v: _check_device(v)))


class ReportSettings(Strict):
    sample_grid: int = Field(8, ge=1, le=32)
    interp_steps: int = Field(9, ge=3, le=33)
    interp_rows: int = Field(4, ge=1, le=16)
    decimals: int = Field(3, ge=0, le=8)
    # Spread over seeds shown in tables: sample standard deviation.
    spread: Literal["std", "sem"] = "std"
    dpi: int = Field(120, ge=50, le=600)


class StyleGenesProbeSettings(Strict):
    n_samples: int = Field(10000, ge=100)      # generated images labelled by the classifier
    n_conditional: int = Field(500, ge=10)     # conditional samples per requested class
    smoothing: float = Field(1.0, ge=0)        # add-alpha counts in p(variant | class)
    chunks: int = Field(8, ge=1)               # continuous latents are split into this many chunks ...
    clusters: int = Field(64, ge=2)            # ... each discretised by k-means into this many codes
    coordinate_bins: int = Field(16, ge=2)     # quantile bins per latent coordinate
    grid_variants: int = Field(8, ge=2)        # columns of the gene-swap figure
    grid_per_class: int = Field(8, ge=1)       # columns of the class-conditional figure


class NemganProbeSettings(Strict):
    n_per_mode: int = Field(1000, ge=10)       # generated images per mode for conditional accuracy
    grid_per_mode: int = Field(8, ge=1)
    kmeans_restarts: int = Field(10, ge=1)


class PriorVsMidpointStudy(Strict):
    kind: Literal["prior_vs_midpoint"]
    runs: list[str] = Field(min_length=1)


class StyleGenesStudy(Strict):
    kind: Literal["stylegenes"]
    runs: list[str] = Field(min_length=1)
    probe: StyleGenesProbeSettings = StyleGenesProbeSettings()


class NemganStudy(Strict):
    kind: Literal["nemgan"]
    runs: list[str] = Field(min_length=1)
    probe: NemganProbeSettings = NemganProbeSettings()


# Rows of MaEM-GAN's CIFAR-10 ablation (Liu et al., AAAI 2023; ganpriors.report.paper) a run may stand beside.
MAEMGAN_PAPER_ROWS = ("baseline", "disomap", "disomap_dlle", "disomap_rb_maem", "all", "wgan_gp", "dcgan")


class MaemganStudy(Strict):
    kind: Literal["maemgan"]
    runs: list[str] = Field(min_length=1)
    # run -> the paper's ablation row it reproduces (its CIFAR-10 numbers are shown beside ours)
    paper_rows: dict[str, Literal[MAEMGAN_PAPER_ROWS]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rows(self):
        for run in self.paper_rows:
            if run not in self.runs:
                raise ValueError(f"paper_rows: '{run}' is not one of the study's runs ({', '.join(self.runs)})")
        return self


class ModeCoverageStudy(Strict):
    kind: Literal["mode_coverage"]
    runs: list[str] = Field(min_length=1)  # runs on a gaussian_ring, gaussian_grid or stacked dataset


StudySettings = Annotated[Union[PriorVsMidpointStudy, StyleGenesStudy, NemganStudy, MaemganStudy, ModeCoverageStudy],
                          Field(discriminator="kind")]


class Params(Strict):
    data: DataSettings
    classifier: ClassifierSettings
    seeds: list[int] = Field(min_length=1)
    defaults: Defaults
    runs: dict[str, dict[str, Any]] = Field(min_length=1)
    studies: dict[str, StudySettings] = Field(min_length=1)
    eval: EvalSettings
    report: ReportSettings

    @model_validator(mode="after")
    def _study_runs(self):
        for name, study in self.studies.items():
            if not RUN_NAME.match(name):
                raise ValueError(f"study name '{name}' must match {RUN_NAME.pattern}")
            for run in study.runs:
                if run not in self.runs:
                    raise ValueError(f"studies.{name}.runs: '{run}' is not a run (runs are {', '.join(self.runs)})")
        return self

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
        raise GanpriorsError(_one_line(exc, ResolvedRun, prefix=f"runs.{name}")) from None


# Keys whose value is a union tagged by `kind`: key -> the registry of kinds.
_TAGGED = {"prior": registry.PRIORS, "dataset": registry.DATASETS}


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's discriminator tags (runs.x.prior.cauchy.scale -> runs.x.prior.scale)."""
    return tuple(p for i, p in enumerate(loc) if not (i > 0 and p in _TAGGED.get(loc[i - 1], ())))


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at the parent of `loc` (for 'unknown key' messages)."""
    from ganpriors.priors import specs

    current: Any = model
    parts = list(loc[:-1])
    while parts:
        part = parts.pop(0)
        if part == "prior" and parts and parts[0] in registry.PRIORS:
            current = specs.SPEC_BY_KIND[parts.pop(0)]
            continue
        if part == "dataset" and parts and parts[0] in registry.DATASETS:
            from ganpriors.data.specs import SPEC_BY_KIND

            current = SPEC_BY_KIND[parts.pop(0)]
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return []
        ann = fields[part].annotation
        current = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []


def _one_line(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> str:
    err = exc.errors()[0]
    loc = _clean_loc(tuple(err["loc"]))
    path = ".".join(str(p) for p in ((prefix,) if prefix else ()) + loc)
    more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, tuple(err["loc"]))
        hint = f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it"
        return f"params.yaml: unknown key {path} (value {err['input']!r}); {hint}{more}"
    if err["type"] == "missing":
        return f"params.yaml: missing key {path}; add it (see the committed params.yaml for an example){more}"
    if err["type"] == "union_tag_invalid":
        what = loc[-1] if loc and loc[-1] in _TAGGED else "prior"
        return (f"params.yaml: {path}.kind = {err['input'].get('kind')!r}: unknown {what} "
                f"(allowed: {', '.join(_TAGGED[what])}){more}")
    msg = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    if isinstance(value, str) and re.match(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$", value):
        msg += f"; PyYAML reads {value!r} as a string: write it with a decimal point (e.g. 2.0e-4)"
    if isinstance(value, dict) and (err["type"] == "value_error" or not path):
        # A check across several keys (a model validator): the message names them; the whole
        # sub-tree would bury it.
        return f"params.yaml: {path + ': ' if path else ''}{msg}{more}"
    return f"params.yaml: {path} = {value!r}: {msg}{more}"


def _yaml_parity(path: Path, pyyaml_data: Any) -> None:
    """Raise if ruamel (YAML 1.2, DVC) reads the file differently from PyYAML (YAML 1.1, Snakemake)."""
    from ruamel.yaml import YAML

    ruamel_data = YAML(typ="safe", pure=True).load(path.read_text())

    def walk(a: Any, b: Any, where: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a:
                if key in b:
                    walk(a[key], b[key], f"{where}.{key}" if where else str(key))
            return
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{i}]")
            return
        if type(a) is not type(b) or a != b:
            raise GanpriorsError(
                f"{path}: {where}: PyYAML (Snakemake) reads {a!r} ({type(a).__name__}) but ruamel (DVC) reads "
                f"{b!r} ({type(b).__name__}); write floats as 2.0e-4 and booleans as true/false"
            )

    walk(pyyaml_data, ruamel_data, "")


def validate_params(raw: Any, source: str = "params.yaml") -> Params:
    if not isinstance(raw, dict):
        raise GanpriorsError(f"{source}: the file must be a YAML mapping of sections (data, defaults, runs, ...)")
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        raise GanpriorsError(_one_line(exc, Params).replace("params.yaml", source, 1)) from None
    params.resolved_runs()  # validates every run's overrides and prior
    return params


def read_yaml(path: Path | str) -> dict:
    path = Path(path)
    if not path.is_file():
        raise GanpriorsError(f"{path}: not found; run from the repository root or pass --params PATH")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise GanpriorsError(f"{path}:{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") from None
    _yaml_parity(path, raw)
    return raw


def load_params(path: Path | str = DEFAULT_PARAMS) -> Params:
    return validate_params(read_yaml(path), source=str(path))


# ---------------------------------------------------------------------------------------------
# Which params each stage depends on. Snakemake rules (workflow/rules/common.smk) and dvc.yaml
# both declare exactly these key paths; tests/test_parity.py checks it.

STAGE_PARAMS: dict[str, list[str]] = {
    "download": ["data"],
    "prepare": [],
    "classifier": ["classifier"],
    "fit-prior": ["runs.{run}.prior"],
    "train": ["defaults", "runs.{run}"],
    "real-features": ["eval.feature_extractor", "eval.real", "eval.batch_size", "eval.device", "eval.threads"],
    "evaluate": ["eval"],
    "probe": ["studies.{study}.probe", "defaults", "runs.{run}", "eval.device", "eval.threads"],
    "report": ["report", "seeds", "studies.{study}", "eval.fake.lambdas"],
}


def get_path(raw: dict, dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        node = node[part]
    return node


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def write_params_stamp(raw: dict, stage: str, folder: Path | str, **wildcards: str) -> str | None:
    """Write a stage's params to `folder/<stage>[-<run>].json` when they differ from the file's.

    Named <stage>[-<study>][-<run>].json. Snakemake rules take this file as an input, so a params edit makes it newer than the outputs
    and triggers a rerun through Snakemake's mtime rule. Unlike Snakemake's own params tracking,
    this needs no .snakemake/ metadata, which is local to one clone: it keeps working on outputs
    restored by `dvc pull` (after `ganpriors reconcile`). Returns None for stages without params.
    """
    import json

    tracked = stage_params(raw, stage, **wildcards)
    if not tracked:
        return None
    keys = "".join(STAGE_PARAMS[stage])
    name = "-".join([stage] + [wildcards[w] for w in ("study", "run") if "{" + w + "}" in keys])
    path = Path(folder) / f"{name}.json"
    text = json.dumps(tracked, sort_keys=True, indent=1) + "\n"
    if not path.is_file() or path.read_text() != text:
        from ganpriors.io import write_text

        write_text(path, text)
    return str(path)


def stage_params(raw: dict, stage: str, **wildcards: str) -> dict:
    """The params sub-trees a stage depends on, key-sorted (Snakemake compares their repr)."""
    keys = [k.format(**wildcards) for k in STAGE_PARAMS[stage]]
    return {k: _sorted(get_path(raw, k)) for k in keys}
