"""What the fakes of a class-conditional run are conditioned on: labels drawn uniformly over the
run's classes, from the run's named stream 'labels' (ganpriors.train.rngs: the existing streams do
not move), set as ctx.info["y"] before G consumes z, so that G(z, y) and D(fake, y) read them
like any prior-drawn labels. A net asks for it by its spec's `conditional`.
"""
from __future__ import annotations

import torch

from ganpriors import registry
from ganpriors.data.settings import label_classes
from ganpriors.train.hooks import Hook

STREAM = "labels"


class FakeLabels(Hook):
    """y_fake ~ U{0, ..., n_classes - 1}, one per latent; its state is the 'labels' stream's."""

    def __init__(self, n_classes: int):
        self.n_classes = n_classes

    def prepare_latents(self, z: torch.Tensor, ctx) -> torch.Tensor:
        if "y" in ctx.info:
            raise ValueError("the prior drew labels for the fakes too: a class-conditional net draws its own")
        y = torch.randint(self.n_classes, (z.shape[0],), generator=ctx.rngs.get(STREAM), device=z.device)
        ctx.info = {**ctx.info, "y": y}
        return z


def conditioning_hooks(run) -> dict:
    """The hooks that condition a run's fakes, run before every other hook (empty when the net is
    unconditional, so unconditional runs draw nothing new)."""
    if not registry.NETS.spec(run.model.net).conditional:
        return {}
    return {"labels": FakeLabels(label_classes(run))}


def run_classes(run) -> int | None:
    """The number of classes a run's nets are built for (None: unconditional)."""
    return label_classes(run) if registry.NETS.spec(run.model.net).conditional else None
