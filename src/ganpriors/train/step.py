"""One generator step: n_critic discriminator updates, then one generator update on the fakes of the
last critic batch (as the loop has always trained; see ganpriors.train.hooks for where hooks run)."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ganpriors.nets.heads import generate
from ganpriors.train.batch import as_batch
from ganpriors.train.context import DISCRIMINATOR, GENERATOR, StepContext
from ganpriors.train.hooks import owned


@dataclass
class StepResult:
    loss_d: torch.Tensor   # D's loss of the last critic update (with the hooks' terms)
    loss_g: torch.Tensor
    d_real: torch.Tensor   # D's logit of the last critic batch, real and fake (for the log)
    d_fake: torch.Tensor


def _update(loss: torch.Tensor, optimizers: list) -> None:
    for opt in optimizers:
        opt.zero_grad(set_to_none=True)
    loss.backward()
    for opt in optimizers:
        opt.step()


def _with_terms(loss: torch.Tensor, hooks: dict, term: str, ctx: StepContext) -> torch.Tensor:
    for hook in hooks.values():
        extra = getattr(hook, term)(ctx)
        if extra is not None:
            loss = loss + extra
    return loss


def discriminator_update(state) -> tuple[StepContext, torch.Tensor]:
    """Draw a real batch and latents, let the hooks prepare the latents, generate, and update D
    (and what trains with it) on real vs detached fakes."""
    batch = as_batch(state.batches.next())
    z, info = state.prior.sample_with_info(len(batch), state.z_dim, state.rngs.get("z"), batch.x.device)
    ctx = StepContext(state.step, batch.x, z, info, None, state.generator, state.discriminator, state.prior,
                      y=batch.y, extras=batch.extras, rngs=state.rngs)
    for hook in state.hooks.values():
        ctx.z = hook.prepare_latents(ctx.z, ctx)
    ctx.fake = generate(state.generator, ctx.z, ctx.y_fake)
    ctx.compute_heads()
    loss_d = _with_terms(state.loss.discriminator_loss(ctx), state.hooks, "discriminator_term", ctx)
    _update(loss_d, [state.opt_d] + owned(state.hooks, DISCRIMINATOR, "optimizers"))
    for hook in state.hooks.values():
        hook.after_d_step(ctx)
    return ctx, loss_d


def generator_update(state, ctx: StepContext) -> torch.Tensor:
    """Update G (and what trains with it) through D(fake) of the given batch."""
    loss_g = _with_terms(state.loss.generator_loss(ctx), state.hooks, "generator_term", ctx)
    _update(loss_g, [state.opt_g] + owned(state.hooks, GENERATOR, "optimizers"))
    for hook in state.hooks.values():
        hook.after_g_step(ctx)
    return loss_g


def train_step(state) -> StepResult:
    """One generator step of a TrainState (state.step is advanced by the caller)."""
    for _ in range(state.n_critic):
        d_ctx, loss_d = discriminator_update(state)
    loss_g = generator_update(state, d_ctx.for_generator_step())
    return StepResult(loss_d, loss_g, d_ctx.d_real.logit, d_ctx.d_fake.logit)
