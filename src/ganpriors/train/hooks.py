"""The ways into a training step. Regularisers are hooks (ganpriors.regularisers.base); a caller may
pass more (an EMA of G, LOGAN's latent optimisation) to `train(..., hooks=...)`.

Per generator step the loop runs, for every hook in order:
  n_critic times: prepare_latents (before G consumes z) -> discriminator_term -> D's update -> after_d_step
  then once, on the last critic batch: generator_term -> G's update -> after_g_step
and at the end export_generator picks the weights the generator file holds (raw by default).

Parameter ownership: a hook's networks train with D or with G. `parameters()` joins them to that
net's own optimiser (train.optimizer, same lr and settings; ADC-GAN's classifier head on D's
features), `optimizers()` hands the loop optimisers of their own, zeroed and stepped together
with that net's (NEMGAN's inversion network, with its own learning rate). Keys are context.GENERATOR / DISCRIMINATOR.
A hook's own randomness comes from ctx.rngs.get(name) (saved with the run's state) or, as the
regularisers do, from a generator it seeds itself and saves in its state_dict.
"""
from __future__ import annotations

import torch
from torch import nn

from ganpriors.train.context import DISCRIMINATOR, GENERATOR, StepContext

SIDES = (GENERATOR, DISCRIMINATOR)


class Hook:
    """Every method is optional. A hook owns its modules, optimisers and random state, and saves all
    of it through `state_dict` so that a resumed run continues bit for bit."""

    def modules(self) -> dict[str, nn.Module]:
        """Trained networks saved with the generator (key prefix aux.<name>.<module>.)."""
        return {}

    def parameters(self) -> dict[str, list[torch.nn.Parameter]]:
        """Parameters that join a net's own optimiser, by the net they train with."""
        return {}

    def optimizers(self) -> dict[str, list[torch.optim.Optimizer]]:
        """Own optimisers, by the net whose update zeroes and steps them."""
        return {}

    def prepare_latents(self, z: torch.Tensor, ctx: StepContext) -> torch.Tensor:
        """The latents G consumes (ctx.fake is still None); both updates of the step see them."""
        return z

    def discriminator_term(self, ctx: StepContext) -> torch.Tensor | None:
        return None

    def generator_term(self, ctx: StepContext) -> torch.Tensor | None:
        return None

    def after_d_step(self, ctx: StepContext) -> None:
        pass

    def after_g_step(self, ctx: StepContext) -> None:
        pass

    def export_generator(self, generator: nn.Module) -> tuple[str, dict[str, torch.Tensor]] | None:
        """(label, weights) for the generator file instead of G's own weights (e.g. an EMA copy);
        the label is recorded in the file's metadata. At most one hook of a run may export."""
        return None

    def stats(self) -> dict[str, float]:
        """Values logged in train_log.csv at each log step (column names must be stable)."""
        return {}

    def state_dict(self) -> dict:
        """Everything needed to resume: modules, optimisers, random generators (torch.save-able
        with weights_only=True: tensors, numbers, strings, lists and dicts)."""
        return {name: m.state_dict() for name, m in self.modules().items()}

    def load_state_dict(self, state: dict) -> None:
        for name, m in self.modules().items():
            m.load_state_dict(state[name])

    def train(self, mode: bool = True) -> None:
        for m in self.modules().values():
            m.train(mode)


def owned(hooks: dict, side: str, kind: str) -> list:
    """The parameters or optimisers (kind) that all hooks train with `side`, in hook order."""
    items = []
    for name, hook in hooks.items():
        by_side = getattr(hook, kind)()
        if not set(by_side) <= set(SIDES):
            raise ValueError(f"hook {name}: {kind}() is keyed by the net it trains with, one of {SIDES}, "
                             f"not {sorted(set(by_side) - set(SIDES))}")
        items += list(by_side.get(side, []))
    return items


def exported_generator(hooks: dict, generator: nn.Module) -> tuple[str | None, dict]:
    """(label, weights) for the generator file: a hook's export, else G's own weights (label None)."""
    exports = [(name, out) for name, hook in hooks.items() if (out := hook.export_generator(generator)) is not None]
    if len(exports) > 1:
        raise ValueError(f"hooks {', '.join(n for n, _ in exports)} all export generator weights; at most one may")
    if exports:
        return exports[0][1]
    return None, dict(generator.state_dict())


class GeneratorEMA(Hook):
    """An exponential moving average of G's weights (as kept by BigGAN and StyleGAN): after every
    generator update, average <- decay * average + (1 - decay) * weights for floating-point tensors
    (integer buffers, e.g. batch-norm counters, are copied). The generator file exports the average.
    The average starts from G's weights after the first update."""

    def __init__(self, decay: float = 0.999):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.average: dict[str, torch.Tensor] | None = None

    @torch.no_grad()
    def after_g_step(self, ctx: StepContext) -> None:
        weights = ctx.generator.state_dict()
        if self.average is None:
            self.average = {k: v.detach().clone() for k, v in weights.items()}
            return
        for k, v in weights.items():
            if v.is_floating_point():
                self.average[k].lerp_(v, 1.0 - self.decay)
            else:
                self.average[k].copy_(v)

    def export_generator(self, generator):
        return None if self.average is None else ("ema", {k: v.clone() for k, v in self.average.items()})

    def state_dict(self) -> dict:
        return {"average": {} if self.average is None else {k: v.clone() for k, v in self.average.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.average = {k: v.clone() for k, v in state["average"].items()} or None
