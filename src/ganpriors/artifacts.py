"""The trained-model layer: the generator file's format, and a trained model to sample from.

One safetensors file per run and seed holds everything a trained run consists of:
  <name>                       generator weights (G's own, or what a hook exported, e.g. an EMA copy)
  prior.<name>                 a learned prior's state (gene banks, mapping network, mode logits)
  aux.<reg>.<module>.<name>    auxiliary networks of the regularisers (NEMGAN's inversion network)
  trace.stepNNNNNN             generator samples at fixed latents during training (2-D benchmarks)
and, under one metadata key, the run's record (model, prior, dataset, view, regularisers, status).
Evaluation, probes and reports read runs through this module, never through the training code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ganpriors.errors import GanpriorsError
from ganpriors.io import load_tensors, save_tensors, state_dict_mismatch
from ganpriors.nets import build_nets
from ganpriors.nets.heads import generate
from ganpriors.priors import build_prior, load_prior
from ganpriors.train.conditioning import BANK, INSTANCES_HOOK, run_classes

PRIOR_PREFIX, AUX_PREFIX = "prior.", "aux."  # keys of learned priors and auxiliary nets in generator files
TRACE_PREFIX = "trace.step"  # generator samples at fixed latents during training (2-D benchmarks)


# -- writing -----------------------------------------------------------------------------------------

def _prefixed(prefix: str, tensors: dict) -> dict:
    return {f"{prefix}{k}": v.detach().cpu().contiguous() for k, v in tensors.items()}


def trained_tensors(generator_weights: dict, prior, hooks: dict) -> dict:
    """The generator's weights, the learned prior's state and the hooks' (regularisers') networks,
    keyed as in the file."""
    tensors = dict(generator_weights)
    tensors.update(_prefixed(PRIOR_PREFIX, prior.state() if not prior.iid_per_dimension else {}))
    for name, hook in hooks.items():
        for module_name, module in hook.modules().items():
            tensors.update(_prefixed(f"{AUX_PREFIX}{name}.{module_name}.", module.state_dict()))
    return tensors


def run_record(run, seed: int, prior) -> dict:
    """Metadata of a trained run. Options at their default are omitted, so files of runs that do
    not use a newer option (a view, a regulariser, a critic norm) are unchanged by its addition."""
    meta = {"run": run.name, "seed": seed, "model": run.model.model_dump(exclude_defaults=True),
            "prior": prior.spec.model_dump()}
    if run.view is not None:
        meta["view"] = run.view.model_dump()
    if run.dataset is not None:
        meta["dataset"] = run.dataset.model_dump()
    if run.regularisers:
        meta["regularisers"] = {k: v.model_dump() for k, v in run.regularisers.items()}
    if not run.interpolations:
        meta["interpolations"] = False
    classes = run_classes(run)
    if classes is not None:  # a class-conditional generator: built for, and sampled over, these classes
        meta["classes"] = classes
    if getattr(run, "instances", None) is not None:  # IC-GAN: sampled around the instances in the file
        meta["instances"] = run.instances.model_dump()
    return meta


def save_trained(path: Path, generator_weights: dict, prior, hooks: dict, trace: dict, meta: dict) -> None:
    """Write the generator file (atomically)."""
    save_tensors(path, {**trained_tensors(generator_weights, prior, hooks), **trace}, meta)


# -- reading -----------------------------------------------------------------------------------------

def split_trained_tensors(tensors: dict) -> tuple[dict, dict, dict]:
    """-> (generator weights, learned prior state, {regulariser: {module: weights}})."""
    gen, prior_state, aux = {}, {}, {}
    for key, value in tensors.items():
        if key.startswith(TRACE_PREFIX):
            continue
        if key.startswith(PRIOR_PREFIX):
            prior_state[key[len(PRIOR_PREFIX):]] = value
        elif key.startswith(AUX_PREFIX):
            reg, module, rest = key[len(AUX_PREFIX):].split(".", 2)
            aux.setdefault(reg, {}).setdefault(module, {})[rest] = value
        else:
            gen[key] = value
    return gen, prior_state, aux


def data_shape(meta: dict) -> tuple[int, ...]:
    """Shape of one training sample, from a generator file's metadata (Fashion-MNIST unless a
    benchmark dataset is recorded)."""
    from ganpriors.data.specs import parse_dataset

    return (1, 28, 28) if meta.get("dataset") is None else parse_dataset(meta["dataset"]).shape


def load_generator(path: Path, device: torch.device | str = "cpu", with_parts: bool = False):
    """Rebuild a generator from its safetensors file (architecture from the file's metadata).
    With `with_parts`, also return the learned prior state and the auxiliary networks' weights."""
    from ganpriors.config import ModelSettings

    tensors, meta = load_tensors(path, "generator checkpoint")
    try:
        model = ModelSettings.model_validate(meta["model"])
    except Exception:
        raise GanpriorsError(f"{path}: generator file lacks a valid 'model' description; rerun its train stage") from None
    weights, prior_state, aux = split_trained_tensors(tensors)
    feature_dim = None
    if meta.get("instances") is not None:
        bank = aux.get(INSTANCES_HOOK, {}).get(BANK)
        if bank is None or "features" not in bank:
            raise GanpriorsError(f"{path}: an instance-conditional generator file without its instances' "
                                 f"features ({AUX_PREFIX}{INSTANCES_HOOK}.{BANK}.features); rerun its train stage")
        feature_dim = bank["features"].shape[1]
    generator, _ = build_nets(model, data_shape(meta), meta.get("classes"), feature_dim)
    try:
        generator.load_state_dict(weights)
    except RuntimeError as exc:
        raise GanpriorsError(
            f"{path}: weights do not fit the {model.net} generator described in its metadata "
            f"({state_dict_mismatch(exc)}); rerun its train stage"
        ) from None
    generator = generator.to(device).eval()
    if with_parts:
        return generator, meta, prior_state, aux
    return generator, meta


def load_trained_prior(prior_path: Path, prior_state: dict, device):
    """The run's prior as trained: the fit-prior file's spec with the learned state, if any."""
    prior = load_prior(prior_path)
    if prior_state:
        try:
            prior = build_prior(prior.spec, prior_state)
        except (KeyError, RuntimeError, ValueError) as exc:
            raise GanpriorsError(f"{prior_path}: the learned prior state in the generator file does not fit this "
                                 f"{prior.spec.kind} prior ({exc}); rerun the run's train stage") from None
    return prior.to(device).train(False)


def load_trace(path: Path) -> dict[int, torch.Tensor]:
    """step -> generator samples (snapshot_samples x 2) at the run's fixed snapshot latents, for runs
    on a 2-D benchmark (empty for other runs). Step 0 is the untrained generator."""
    tensors, _ = load_tensors(path, "generator checkpoint")
    return {int(k[len(TRACE_PREFIX):]): v for k, v in sorted(tensors.items()) if k.startswith(TRACE_PREFIX)}


# -- the facade --------------------------------------------------------------------------------------

@dataclass
class TrainedModel:
    """A trained run's generator and prior (eval mode, on `device`): what evaluation, probes and
    figures sample from. Labels for a conditional generator come from the caller or, when it
    passes none, from the prior's draw (info["y"]), else uniformly over the file's `classes`
    (see latents); an unconditional one gets none. An instance-conditional (IC-GAN) generator's
    conditioning is an instance feature: drawn uniformly over the file's instances, or given (a
    held-out image's, ganpriors.data.neighbourhoods; see sample_around)."""

    generator: nn.Module
    prior: object | None
    meta: dict
    aux: dict = field(default_factory=dict)  # regulariser -> {module: weights} (see probes.runner)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @classmethod
    def load(cls, path: Path, prior_path: Path | None = None, device: torch.device | str = "cpu") -> "TrainedModel":
        """The generator file at `path`; with `prior_path` (the run's fit-prior file) also the prior
        as trained, which sampling needs."""
        generator, meta, prior_state, aux = load_generator(path, device, with_parts=True)
        prior = load_trained_prior(prior_path, prior_state, device) if prior_path is not None else None
        return cls(generator, prior, meta, aux, torch.device(device))

    @property
    def z_dim(self) -> int:
        return self.meta["model"]["z_dim"]

    @property
    def data_shape(self) -> tuple[int, ...]:
        return data_shape(self.meta)

    @property
    def classes(self) -> int | None:
        """The classes a class-conditional generator was trained on (None: unconditional)."""
        return self.meta.get("classes")

    @property
    def instance_features(self) -> torch.Tensor | None:
        """An IC-GAN generator's instances' features, M x d, L2-normalised (None: not one)."""
        if self.meta.get("instances") is None:
            return None
        return self.aux[INSTANCES_HOOK][BANK]["features"].to(self.device)

    @property
    def instance_indices(self) -> torch.Tensor | None:
        """Their indices among the run's training images (under its view)."""
        if self.meta.get("instances") is None:
            return None
        return self.aux[INSTANCES_HOOK][BANK]["indices"]

    def latents(self, n: int, generator_rng: torch.Generator | None) -> tuple[torch.Tensor, dict]:
        """n draws of the prior: (z, what was drawn to make it). A class-conditional generator's
        labels (info["y"]) are drawn after z from the same generator, uniform over its classes, as
        in training; an IC-GAN generator's instance features likewise (info["instance"]: the
        instances' indices among the training images)."""
        if self.prior is None:
            raise ValueError("this TrainedModel was loaded without its prior; pass prior_path to load it")
        z, info = self.prior.sample_with_info(n, self.z_dim, generator_rng, self.device)
        if self.classes is not None and "y" not in info:
            info = {**info, "y": torch.randint(self.classes, (n,), generator=generator_rng, device=self.device)}
        bank = self.instance_features
        if bank is not None and "y" not in info:
            slot = torch.randint(len(bank), (n,), generator=generator_rng, device=self.device)
            info = {**info, "y": bank[slot], "instance": self.instance_indices[slot.cpu()]}
        return z, info

    @torch.no_grad()
    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z, y) without gradients."""
        return generate(self.generator, z, y)

    def sample(self, n: int, generator_rng: torch.Generator | None, y: torch.Tensor | None = None) -> torch.Tensor:
        """n samples G(z, y) from z drawn from the prior with `generator_rng`; y (n labels, e.g.
        torch.full((n,), k) for class k) overrides the drawn labels of a conditional generator."""
        z, info = self.latents(n, generator_rng)
        return self.generate(z, y if y is not None else info.get("y"))

    def sample_around(self, h: torch.Tensor, n: int, generator_rng: torch.Generator | None) -> torch.Tensor:
        """n samples G(z, h) around one instance feature h (d values; normalised here, as in
        training), e.g. a held-out image's classifier features: IC-GAN's transfer to unseen instances."""
        from ganpriors.data.neighbourhoods import normalised

        if self.instance_features is None:
            raise ValueError("sample_around needs an instance-conditional (IC-GAN) generator")
        h = normalised(h.reshape(1, -1).float().to(self.device))
        return self.sample(n, generator_rng, y=h.expand(n, -1))
