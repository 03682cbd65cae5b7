"""U-Net GAN's CutMix regulariser (Schönfeld et al. 2020, sec. 3.2): real and generated images
mixed through a random box mask M (1 = real), x_mix = M * x + (1 - M) * G(z), and in D's update

  consistency_weight * mean (D_dec(x_mix) - (M * D_dec(x) + (1 - M) * D_dec(G(z))))^2

on the decoder's per-pixel logits, plus (augmentation) the CutMix GAN loss: D_dec(x_mix) against
the target map M (per-pixel BCE) and D_enc(x_mix) labelled fake. D_dec(x), D_dec(G(z)) are the
step's shared heads and are not detached (as in the official code: the consistency term trains
all three outputs). Mixing happens with probability r_mix per critic update, rising linearly from
0 to `probability` over the first `warmup` generator steps (the paper's warm-up).

Choices: the paper's reading of r_mix (the regulariser is added on a fraction r_mix of the
updates, the normal losses always stay) rather than the official --full_batch_mixup, which drops
the normal real/fake losses on the mixed updates; the mask follows the official mixup.CutMix
(lambda ~ U(0, 1), a box of side floor(sqrt(1 - lambda) * size) around a uniform centre, clipped at
the borders, set to 0; the mask inverted with probability 1/2), one per sample, on the data's own
pixels (the net crops its per-pixel map to them).
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from ganpriors.nets.heads import d_heads
from ganpriors.regularisers.base import Regulariser, StepContext

STREAM = "cutmix"  # the run's named stream (on the CPU: the same decisions on every device)


def box_masks(lam: torch.Tensor, cy: torch.Tensor, cx: torch.Tensor, invert: torch.Tensor,
              height: int, width: int) -> torch.Tensor:
    """B x 1 x H x W masks, 1 = real: zeros in the box of side floor(sqrt(1 - lam) * size) centred
    at (cy, cx), rows [cy - h // 2, cy + h // 2) and likewise columns, clipped; inverted where `invert`."""
    r = torch.sqrt(1 - lam.double())
    bh, bw = (r * height).floor().long(), (r * width).floor().long()
    y1, y2 = (cy - bh // 2).clamp(0, height), (cy + bh // 2).clamp(0, height)
    x1, x2 = (cx - bw // 2).clamp(0, width), (cx + bw // 2).clamp(0, width)
    rows, cols = torch.arange(height), torch.arange(width)
    in_rows = (rows >= y1[:, None]) & (rows < y2[:, None])
    in_cols = (cols >= x1[:, None]) & (cols < x2[:, None])
    real = ~(in_rows[:, :, None] & in_cols[:, None, :])
    return torch.where(invert[:, None, None], ~real, real).float()[:, None]


def draw_masks(n: int, height: int, width: int, generator: torch.Generator) -> torch.Tensor:
    lam = torch.rand(n, generator=generator, dtype=torch.float64)  # Beta(1, 1)
    cy = torch.randint(0, height, (n,), generator=generator)
    cx = torch.randint(0, width, (n,), generator=generator)
    invert = torch.rand(n, generator=generator) < 0.5
    return box_masks(lam, cy, cx, invert, height, width)


def mixing_probability(step: int, probability: float, warmup: int) -> float:
    """r_mix after `step` generator steps: linear from 0 to `probability` over `warmup` steps."""
    return probability if warmup == 0 else probability * min(1.0, step / warmup)


class CutMix(Regulariser):
    def __init__(self, options, **context):
        super().__init__(options)
        self._values: dict[str, float | torch.Tensor] = {}

    def discriminator_term(self, ctx: StepContext) -> torch.Tensor | None:
        o = self.options
        rng = ctx.rngs.get(STREAM, "cpu")
        rate = mixing_probability(ctx.step, o.probability, o.warmup)
        self._values["cutmix_rate"] = rate
        if not float(torch.rand((), generator=rng)) < rate:  # drawn every update: one stream position per update
            return None
        real, fake = ctx.real, ctx.fake.detach()
        mask = draw_masks(len(real), *real.shape[-2:], rng).to(real)
        mixed = mask * real + (1 - mask) * fake
        out = d_heads(ctx.discriminator, mixed)  # the mixture has no label of its own
        target = mask * ctx.d_real.pixel_logits + (1 - mask) * ctx.d_fake.pixel_logits
        consistency = F.mse_loss(out.pixel_logits, target)
        self._values["cutmix_consistency"] = consistency.detach()
        term = o.consistency_weight * consistency
        if o.augmentation:
            term = term + (F.binary_cross_entropy_with_logits(out.pixel_logits, mask)
                           + F.binary_cross_entropy_with_logits(out.logit, torch.zeros_like(out.logit)))
        return term

    def stats(self) -> dict[str, float]:
        """r_mix of the last update and the last computed consistency (NaN until computed)."""
        return {"cutmix_rate": float(self._values.get("cutmix_rate", math.nan)),
                "cutmix_consistency": float(self._values.get("cutmix_consistency", math.nan))}

    def state_dict(self) -> dict:
        """The logged values: the last consistency may be several updates old (a resumed run logs it too)."""
        return {"values": self.stats()}

    def load_state_dict(self, state: dict) -> None:
        self._values = {k: v for k, v in state["values"].items() if not math.isnan(v)}
