"""The fit-prior stage: fit a prior that needs it, and record its mid-point statistics.

Every run gets a prior file so that train and evaluate read the prior the same way for every
family. The summary JSON records KL(p || p_mid) on the prior's own support, its std, and, for the
non-parametric prior, the variance floor and the KL of the reference parametric families
computed on the same grid (the comparison of Singh et al.).
"""
from __future__ import annotations

from pathlib import Path

from ganpriors.environment import fingerprint
from ganpriors.io import save_tensors, write_json
from ganpriors.priors import build_prior, save_prior
from ganpriors.priors.kl import prior_midpoint_kl

REFERENCE_FAMILIES = {
    "uniform": {"kind": "uniform", "low": -1.0, "high": 1.0},
    "normal": {"kind": "normal"},
    "gamma": {"kind": "gamma", "shape": 1.0, "symmetric": False},
    "cauchy": {"kind": "cauchy"},
}


def fit_prior(spec, out: Path, summary_path: Path, z_dim: int) -> dict:
    import torch
    from pydantic import TypeAdapter

    from ganpriors.priors.specs import PriorSpec

    prior = build_prior(spec)
    summary = {"spec": spec.model_dump()}
    if not prior.iid_per_dimension:
        # A learned prior is initialised by the train stage from the run's seed; the file holds only
        # its spec. Its description (parameter count, distinct latents) comes from a throwaway copy.
        example = build_prior(spec)
        torch.manual_seed(0)
        example.build(z_dim)
        summary["description"] = example.describe()
        save_tensors(out, {}, {"spec": spec.model_dump(), "summary": summary})
        write_json(summary_path, {**summary, "environment": fingerprint("cpu")})
        return summary
    if prior.needs_fit:
        summary.update(prior.fit())
        grid = (spec.low, spec.high, spec.bins)
        adapter = TypeAdapter(PriorSpec)
        summary["reference_families_on_same_grid"] = {
            name: prior_midpoint_kl(build_prior(adapter.validate_python(ref)), grid[2], grid[0], grid[1])
            for name, ref in REFERENCE_FAMILIES.items()
        }
        summary["grid"] = {"low": spec.low, "high": spec.high, "bins": spec.bins}
    else:
        summary["midpoint_kl"] = prior_midpoint_kl(prior)
        summary["std"] = prior.std()
    summary["support"] = list(prior.support())
    save_prior(out, prior, summary)
    write_json(summary_path, {**summary, "environment": fingerprint("cpu")})
    return summary
