"""BigGAN's orthogonal regularisation (Brock et al. 2019, section 3.1), a term of G's loss:
weight * sum_W ||W W^T * (1 - I)||_F^2 over G's weights, each reshaped to (outputs, -1) (one row
per filter, as BigGAN-PyTorch's utils.ortho; the paper's W^T W with filters as columns is the
same). Only the off-diagonal Gram entries are penalised: filters are pushed towards mutually
orthogonal directions without fixing their norms. Its gradient is 4 weight (W W^T * (1 - I)) W
(BigGAN-PyTorch applies 2 (...) W directly, i.e. half this term's gradient).

Which tensors: every parameter of G with at least two dimensions (conv and linear weights; biases,
gains and the attention gamma are left out), the raw parameters of spectrally normalised layers
(what the optimiser steps, as in BigGAN-PyTorch, whose SN keeps the raw weight as the parameter),
and none whose name starts with a prefix in G's `orthogonal_exempt` (BigGAN's shared embedding).
"""
from __future__ import annotations

import torch

from ganpriors.regularisers.base import Regulariser, StepContext


def regularised_weights(generator) -> list[tuple[str, torch.Tensor]]:
    exempt = tuple(getattr(generator, "orthogonal_exempt", ()))
    return [(name, p) for name, p in generator.named_parameters()
            if p.dim() >= 2 and not (exempt and name.startswith(exempt))]


def off_diagonal_penalty(weight: torch.Tensor) -> torch.Tensor:
    """||W W^T * (1 - I)||_F^2 for W = weight reshaped to (outputs, -1)."""
    w = weight.flatten(1)
    gram = w @ w.T
    off = gram - torch.diag_embed(torch.diagonal(gram))
    return (off ** 2).sum()


class OrthogonalRegularisation(Regulariser):
    def __init__(self, options, **context):
        super().__init__(options)
        self._last: float | None = None

    def generator_term(self, ctx: StepContext) -> torch.Tensor:
        term = self.options.weight * sum(off_diagonal_penalty(p) for _, p in regularised_weights(ctx.generator))
        self._last = float(term.detach())
        return term

    def stats(self) -> dict[str, float]:
        return {"orthogonal": float("nan") if self._last is None else self._last}
