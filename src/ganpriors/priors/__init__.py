"""Latent priors: one module per family, looked up by params `kind` (see ganpriors.registry).

The package itself is torch-free (its specs are read when the Snakefile parses params.yaml);
`build_prior`, `load_prior`, `save_prior` and `Prior` are imported on first use.
"""
from __future__ import annotations

_LAZY = {"build_prior": "loading", "load_prior": "loading", "save_prior": "loading", "Prior": "base"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"ganpriors.priors.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'ganpriors.priors' has no attribute {name!r}")
