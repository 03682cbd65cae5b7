"""DIsoMap (MaEM-GAN, Liu et al., AAAI 2023): the discriminator's embedding maps convex
combinations of samples to the same combinations of their embeddings.

For a ~ U(0, 1) per sample, the discriminator step adds weight * E[1 - cos(D(a x + (1-a) y),
a D(x) + (1-a) D(y))] with x real and y generated. The combination of embeddings is a detached
regression target, as in the authors' code: D is trained to move the mixed sample's embedding
towards it, not to move the endpoints' embeddings towards the mixture's. The endpoints' embeddings
are those the loss uses (the step's D(real), D(fake)), not a second forward under no_grad as in the
authors' code: with spectral norm, every training-mode forward also advances the power iteration.
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from ganpriors.nets.heads import d_heads
from ganpriors.regularisers.base import Regulariser, StepContext

_SALT = 0x6469736F6D6170  # "disomap": keeps this stream apart from the training loop's seed-derived ones
_EPS = 1e-8  # floor under the norms of the cosine


class Isometry(Regulariser):
    def __init__(self, options, *, run, prior, data, image_shape, device, seed):
        super().__init__(options)
        self.rng = torch.Generator(device=torch.device(device)).manual_seed(_SALT + seed)
        self._values: dict[str, torch.Tensor] = {}  # kept on the device: no sync per step

    def discriminator_term(self, ctx: StepContext) -> torch.Tensor:
        real, fake = ctx.real, ctx.fake.detach()
        if real.shape != fake.shape:
            raise ValueError(f"disomap mixes real and generated batches of one shape, got "
                             f"{tuple(real.shape)} and {tuple(fake.shape)}")
        b = real.shape[0]
        a = torch.rand(b, generator=self.rng, device=real.device, dtype=real.dtype)
        a_sample = a.view(b, *([1] * (real.dim() - 1)))
        mixed = a_sample * real + (1 - a_sample) * fake
        a_code = a.view(b, 1)
        # D's embeddings of the batch come from the step (computed once, shared with the loss);
        # detached, they are a constant target. The mixture has no label of its own.
        target = (a_code * ctx.d_real.code().detach().reshape(b, -1)
                  + (1 - a_code) * ctx.d_fake.code().detach().reshape(b, -1))
        cos = F.cosine_similarity(d_heads(ctx.discriminator, mixed).code().reshape(b, -1), target, dim=1, eps=_EPS)
        loss = (1 - cos).mean()
        self._values["disomap_loss"] = loss.detach()
        return self.options.weight * loss

    def stats(self) -> dict[str, float]:
        """The last unweighted mean (1 - cosine) (NaN until computed)."""
        return {"disomap_loss": float(self._values["disomap_loss"]) if "disomap_loss" in self._values else math.nan}

    def state_dict(self) -> dict:
        return {"rng": self.rng.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.rng.set_state(state["rng"])
