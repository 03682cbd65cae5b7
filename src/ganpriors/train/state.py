"""TrainState: everything a run is while it trains, with one state_dict for checkpoints.

What goes into the checkpoint is listed once, here; a resumed run continues bit for bit because
every piece that carries state (nets, optimisers, random streams, hooks, batch order, log, trace)
is in it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ganpriors import registry
from ganpriors.nets import build_nets
from ganpriors.nets.heads import generate
from ganpriors.priors import build_prior
from ganpriors.regularisers import build_regularisers
from ganpriors.train.conditioning import conditioning_hooks, run_classes
from ganpriors.train.context import DISCRIMINATOR, GENERATOR
from ganpriors.train.hooks import owned
from ganpriors.train.rngs import RngStreams


def build_loss(cfg, rng: torch.Generator):
    cls = registry.resolve(registry.LOSSES, cfg.loss)
    return cls.from_settings(cfg, rng)


def snapshot_steps(run) -> list[int]:
    """Steps at which a 2-D run records its samples (0 = untrained, evenly spaced to the end)."""
    n = getattr(run.dataset, "snapshots", 0)
    return sorted({round(k * run.train.steps / n) for k in range(n + 1)}) if n else []


@dataclass
class TrainState:
    generator: torch.nn.Module
    discriminator: torch.nn.Module
    prior: object
    opt_g: torch.optim.Optimizer   # G, a learned prior's parameters, and hooks' parameters that train with G
    opt_d: torch.optim.Optimizer   # D and hooks' parameters that train with D
    loss: object                   # ganpriors.losses.AdversarialLoss
    hooks: dict                    # name -> Hook: the run's regularisers, then the caller's hooks
    batches: object                # the training data's batch source
    rngs: RngStreams
    z_dim: int
    n_critic: int
    step: int = 0                  # generator steps done
    rows: list = field(default_factory=list)    # train_log.csv rows so far
    trace: dict = field(default_factory=dict)   # training snapshots so far (artifacts.TRACE_PREFIX keys)
    elapsed: float = 0.0           # training seconds before this process (resumed runs)
    snapshot_z: torch.Tensor | None = None      # fixed latents of the snapshots (drawn afresh on resume)

    @classmethod
    def create(cls, run, seed: int, data, prior, device, checkpoint: dict | None = None,
               hooks: dict | None = None) -> "TrainState":
        """Build a run's training state, fresh or from a checkpoint (state_dict). The order of the
        steps below is the order of the random draws, and with it of a run's results."""
        if checkpoint is not None and checkpoint["prior"]:
            # A learned prior is restored before the optimizers are built: they hold its parameters.
            prior = build_prior(prior.spec, checkpoint["prior"])
        cfg = run.train
        torch.manual_seed(seed)  # network initialisation (and learned priors' initial values)
        prior.build(run.model.z_dim)
        # IC-GAN's nets are built for the size of the instance features
        feature_dim = data.feature_dim if getattr(run, "instances", None) is not None else None
        generator, discriminator = build_nets(run.model, data.shape, run_classes(run), feature_dim)
        generator.to(device)
        discriminator.to(device)
        prior.to(device)
        all_hooks = conditioning_hooks(run, data)  # first: the other hooks see the fakes' conditioning
        all_hooks.update(build_regularisers(run.regularisers, run=run, prior=prior, data=data,
                                            image_shape=data.shape, device=device, seed=seed))
        for name, hook in (hooks or {}).items():
            if name in all_hooks:
                raise ValueError(f"hook name {name!r} is taken by a regulariser of run {run.name}")
            all_hooks[name] = hook
        if cfg.memory_format == "channels_last":  # 4-d (conv) weights only; the nets' outputs follow
            generator.to(memory_format=torch.channels_last)
            discriminator.to(memory_format=torch.channels_last)
        optimizer = registry.resolve(registry.OPTIMIZERS, cfg.optimizer)
        opt_g = optimizer(list(generator.parameters()) + prior.trainable_parameters(), cfg.lr_g, cfg)
        opt_d = optimizer(discriminator.parameters(), cfg.lr_d, cfg)
        for opt, side in ((opt_g, GENERATOR), (opt_d, DISCRIMINATOR)):
            params = owned(all_hooks, side, "parameters")
            if params:
                opt.add_param_group({"params": params})
        rngs = RngStreams(seed, device)
        loss = build_loss(cfg, rngs.get("loss"))
        batches = data.batches(cfg.batch_size, rngs.get("data", "cpu"))  # CPU: batch order is device-independent
        state = cls(generator, discriminator, prior, opt_g, opt_d, loss, all_hooks, batches, rngs,
                    run.model.z_dim, cfg.n_critic)
        if snapshot_steps(run):
            state.snapshot_z = prior.sample(run.dataset.snapshot_samples, run.model.z_dim, rngs.get("snapshot"), device)
        if checkpoint is not None:
            state.load_state_dict(checkpoint)
        return state

    def state_dict(self) -> dict:
        return {
            "generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "rngs": self.rngs.state_dict(), "prior": self.prior.state(),
            "hooks": {name: hook.state_dict() for name, hook in self.hooks.items()},
            "batches": self.batches.state_dict(),
            "step": self.step, "rows": self.rows, "trace": self.trace, "elapsed": self.elapsed,
        }

    def load_state_dict(self, state: dict) -> None:
        """Everything but the prior, which `create` restores (the optimisers hold its parameters)."""
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.rngs.load_state_dict(state["rngs"])
        for name, hook in self.hooks.items():
            hook.load_state_dict(state["hooks"][name])
        self.batches.load_state_dict(state["batches"])
        self.step, self.rows, self.trace, self.elapsed = state["step"], state["rows"], state["trace"], state["elapsed"]

    def train(self, mode: bool = True) -> None:
        self.generator.train(mode)
        self.discriminator.train(mode)
        self.prior.train(mode)
        for hook in self.hooks.values():
            hook.train(mode)

    @torch.no_grad()
    def snapshot(self) -> torch.Tensor:
        """G at the fixed snapshot latents, on the CPU."""
        return generate(self.generator, self.snapshot_z).detach().cpu()
