"""Regularisers: terms added to the adversarial losses, one module each, composable per run.

A run lists them under `regularisers:` (name -> options); `ganpriors.registry.REGULARISERS` maps
each name to its class. See `base.Regulariser` for the hooks the training loop calls.
"""
from __future__ import annotations

from ganpriors import registry


def build_regularisers(specs: dict, **context) -> dict:
    """name -> Regulariser instance, in the order the run lists them."""
    return {name: registry.resolve(registry.REGULARISERS, name)(options, **context) for name, options in specs.items()}
