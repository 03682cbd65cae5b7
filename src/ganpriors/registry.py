"""Registries: one per axis of variation, one entry per method, resolved on first use.

Entries are "module:attribute" strings so that validating params.yaml (done by the Snakefile on
every invocation) never imports torch. Registering checks the name (unique, a plain identifier
usable in paths and stage names), as torch-fidelity's register_* functions do; resolving checks
that the implementation is what the axis expects (a subclass of its base, or a callable).

Axes whose components have settings (priors, datasets, regularisers, nets, studies) derive their
registry from the components' spec classes, each of which names its implementation (`impl`):
adding a method there is one spec class and one implementation module. The other axes register
one line each below.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Mapping

NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class Registry(Mapping):
    """name -> "module:attribute", read-only once built; `resolve` imports and checks."""

    def __init__(self, axis: str, base: str | None = None):
        self.axis, self.base, self._entries, self._specs = axis, base, {}, {}

    def register(self, name: str, impl: str) -> None:
        if not isinstance(name, str) or not NAME.match(name):
            raise ValueError(f"{self.axis} name {name!r} must match {NAME.pattern}")
        if name in self._entries:
            raise ValueError(f"{self.axis} '{name}' is registered twice")
        if not isinstance(impl, str) or impl.count(":") != 1:
            raise ValueError(f"{self.axis} '{name}': implementation {impl!r} must be 'module:attribute'")
        self._entries[name] = impl

    @classmethod
    def from_specs(cls, axis: str, specs, base: str | None = None) -> "Registry":
        """A registry from spec classes carrying `kind` (their Literal tag) and `impl`."""
        reg = cls(axis, base)
        for spec in specs:
            reg.register(spec_kind(spec), spec.impl)
            reg._specs[spec_kind(spec)] = spec
        return reg

    def spec(self, name: str):
        """The spec class registered under `name` (registries derived from specs)."""
        return self._specs[name]

    def resolve(self, name: str):
        module, attr = self._entries[name].split(":")
        obj = getattr(importlib.import_module(module), attr)
        if self.base is None:
            if not callable(obj):
                raise TypeError(f"{self.axis} '{name}': {self._entries[name]} is not callable")
        else:
            base_module, base_attr = self.base.split(":")
            base = getattr(importlib.import_module(base_module), base_attr)
            if not (isinstance(obj, type) and issubclass(obj, base)):
                raise TypeError(f"{self.axis} '{name}': {self._entries[name]} is not a subclass of {self.base}")
        return obj

    def __getitem__(self, name: str) -> str:
        return self._entries[name]

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.axis!r}, {sorted(self._entries)})"


def spec_kind(spec) -> str:
    """The `kind` tag of a spec class: its `Literal["..."]` field, or a plain class attribute."""
    fields = getattr(spec, "model_fields", {})
    return fields["kind"].annotation.__args__[0] if "kind" in fields else spec.kind


def _derived():
    from ganpriors.data.specs import SPECS as DATASET_SPECS
    from ganpriors.nets.specs import SPECS as NET_SPECS
    from ganpriors.priors.specs import SPECS as PRIOR_SPECS
    from ganpriors.regularisers.specs import SPECS as REGULARISER_SPECS
    from ganpriors.studies import SPECS as STUDY_SPECS

    probes = Registry("probe")
    for spec in STUDY_SPECS:
        if spec.probe_impl is not None:
            probes.register(spec_kind(spec), spec.probe_impl)
    return (Registry.from_specs("prior", PRIOR_SPECS, "ganpriors.priors.base:Prior"),
            Registry.from_specs("net", NET_SPECS),
            Registry.from_specs("regulariser", REGULARISER_SPECS, "ganpriors.regularisers.base:Regulariser"),
            Registry.from_specs("dataset", DATASET_SPECS),
            Registry.from_specs("study", STUDY_SPECS), probes)


# Derived from the components' specs (ganpriors.<axis>.specs, ganpriors.studies).
PRIORS, NETS, REGULARISERS, DATASETS, STUDIES, PROBES = _derived()

LOSSES = Registry("loss", "ganpriors.losses:AdversarialLoss")
LOSSES.register("nonsaturating", "ganpriors.losses:NonSaturatingLoss")
LOSSES.register("hinge", "ganpriors.losses:HingeLoss")
LOSSES.register("wgan", "ganpriors.losses:WassersteinLoss")  # no penalty: needs a constrained critic
LOSSES.register("wgan-gp", "ganpriors.losses:WassersteinGPLoss")
LOSSES.register("unet", "ganpriors.losses:UNetLoss")  # U-Net GAN: global and per-pixel BCE

OPTIMIZERS = Registry("optimizer")  # (params, lr, train settings) -> torch.optim.Optimizer
OPTIMIZERS.register("adam", "ganpriors.train.optimizers:adam")
OPTIMIZERS.register("rmsprop", "ganpriors.train.optimizers:rmsprop")  # WGAN with weight clipping

FEATURE_EXTRACTORS = Registry("feature extractor")
FEATURE_EXTRACTORS.register("classifier", "ganpriors.metrics.features:ClassifierFeatures")
FEATURE_EXTRACTORS.register("inception-v3-compat", "ganpriors.metrics.features:InceptionFeatures")


def resolve(table: Registry, name: str):
    """Import and return the object registered under `name` (checked against the axis)."""
    return table.resolve(name)
