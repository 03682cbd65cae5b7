"""Build a prior from its spec, and the prior file of the fit-prior stage (safetensors)."""
from __future__ import annotations

from pathlib import Path

from ganpriors import registry
from ganpriors.errors import GanpriorsError
from ganpriors.io import load_tensors, save_tensors
from ganpriors.priors.base import Prior


def build_prior(spec, state: dict | None = None) -> Prior:
    return registry.resolve(registry.PRIORS, spec.kind)(spec, state)


def save_prior(path: Path | str, prior: Prior, summary: dict) -> None:
    save_tensors(path, prior.state(), {"spec": prior.spec.model_dump(), "summary": summary})


def load_prior(path: Path | str) -> Prior:
    from pydantic import TypeAdapter, ValidationError

    from ganpriors.priors.specs import PriorSpec

    tensors, meta = load_tensors(path, "prior file")
    try:
        spec = TypeAdapter(PriorSpec).validate_python(meta["spec"])
    except (KeyError, ValidationError):
        raise GanpriorsError(f"{path}: prior file has no valid spec; rerun the fit-prior stage") from None
    return build_prior(spec, tensors)
