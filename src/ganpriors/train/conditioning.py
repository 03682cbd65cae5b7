"""What the fakes of a conditional run are conditioned on, drawn before G consumes z and set as
ctx.info["y"], so that G(z, y) and D(fake, y) read it like any prior-drawn labels:

- a class-conditional net (its spec's `conditional`): labels drawn uniformly over the run's classes
  from the named stream 'labels' (FakeLabels);
- an instance-conditional net (IC-GAN, its spec's `instance_conditional`): the feature h_j of an
  instance drawn uniformly over the run's instances from the named stream 'fake_instances',
  independently of the real batch's instances (FakeInstances; the paper's and official code's
  sampling). The instances' features travel in the generator file (InstanceBank), so that a trained
  model samples around them (ganpriors.artifacts.TrainedModel).

New streams (ganpriors.train.rngs), so the existing streams do not move.
"""
from __future__ import annotations

import torch
from torch import nn

from ganpriors import registry
from ganpriors.data.settings import label_classes
from ganpriors.train.hooks import Hook

STREAM = "labels"
INSTANCE_STREAM = "fake_instances"
INSTANCES_HOOK, BANK = "instances", "bank"  # generator-file keys aux.instances.bank.{features,indices}


def _no_prior_labels(ctx) -> None:
    if "y" in ctx.info:
        raise ValueError("the prior drew labels for the fakes too: a conditional net draws its own")


class FakeLabels(Hook):
    """y_fake ~ U{0, ..., n_classes - 1}, one per latent; its state is the 'labels' stream's."""

    def __init__(self, n_classes: int):
        self.n_classes = n_classes

    def prepare_latents(self, z: torch.Tensor, ctx) -> torch.Tensor:
        _no_prior_labels(ctx)
        y = torch.randint(self.n_classes, (z.shape[0],), generator=ctx.rngs.get(STREAM), device=z.device)
        ctx.info = {**ctx.info, "y": y}
        return z


class InstanceBank(nn.Module):
    """The instances' features (M x d, L2-normalised) and their indices among the run's training
    images: buffers, saved with the generator (not trained)."""

    def __init__(self, features: torch.Tensor, indices: torch.Tensor):
        super().__init__()
        self.register_buffer("features", features.detach().clone())
        self.register_buffer("indices", indices.detach().clone().to(features.device))

    def draw(self, n: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(features, indices) of n instances drawn uniformly."""
        slot = torch.randint(len(self.features), (n,), generator=rng, device=self.features.device)
        return self.features[slot], self.indices[slot]


class FakeInstances(Hook):
    """y_fake = h_j, j ~ U(instances), one per latent; info["instance"] is j's image index. The bank
    is rebuilt from the data on resume, so the hook's state is the 'fake_instances' stream's."""

    def __init__(self, bank: InstanceBank):
        self.bank = bank

    def modules(self) -> dict[str, nn.Module]:
        return {BANK: self.bank}

    def prepare_latents(self, z: torch.Tensor, ctx) -> torch.Tensor:
        _no_prior_labels(ctx)
        h, index = self.bank.draw(z.shape[0], ctx.rngs.get(INSTANCE_STREAM))
        ctx.info = {**ctx.info, "y": h, "instance": index}
        return z

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def conditioning_hooks(run, data=None) -> dict:
    """The hooks that condition a run's fakes, run before every other hook (empty when the net is
    unconditional, so unconditional runs draw nothing new). An IC-GAN run's come from its `data`
    (ganpriors.train.instance_data.InstanceData)."""
    spec = registry.NETS.spec(run.model.net)
    if spec.instance_conditional:
        if not hasattr(data, "bank"):
            raise ValueError(f"run {run.name}: an instance-conditional net trains on instance data (InstanceData)")
        return {INSTANCES_HOOK: FakeInstances(InstanceBank(data.bank, data.instances))}
    if not spec.conditional:
        return {}
    return {"labels": FakeLabels(label_classes(run))}


def run_classes(run) -> int | None:
    """The number of classes a run's nets are built for (None: unconditional)."""
    return label_classes(run) if registry.NETS.spec(run.model.net).conditional else None


def fake_conditioning(run, data=None):
    """draw(n, rng, device) -> the conditioning of n fakes outside the training step (an EMA's
    standing statistics), distributed as the training step's: uniform labels, uniform instance
    features, or None for an unconditional net."""
    classes = run_classes(run)
    if classes is not None:
        return lambda n, rng, device: torch.randint(classes, (n,), generator=rng, device=device)
    if registry.NETS.spec(run.model.net).instance_conditional:
        bank = data.bank if hasattr(data, "bank") else None

        def draw(n, rng, device):
            if bank is None:
                raise ValueError(f"run {run.name}: instance features are drawn from the run's training data")
            return bank[torch.randint(len(bank), (n,), generator=rng, device=device)]

        return draw
    return lambda n, rng, device: None
