"""I-Variance, the diversity score of MaEM-GAN (Liu et al.).

For N generated samples with class probabilities p_n (a softmax over K classes), I-Variance is the
mean over the K classes of the standard deviation over the N samples of p_nk. A generator that
always produces the same kind of image yields near-identical rows (score ~ 0); one whose samples
spread confidently over many classes yields large per-class spreads (higher = more diverse).

The authors compute it on Inception's 1000-class softmax and report it x 1e-3; ours uses the
evaluation classifier's 10-class softmax, so the values are not comparable in scale with theirs
(with K classes the score of confident, evenly spread samples is about sqrt(1/K - 1/K^2)).
"""
from __future__ import annotations

import torch


def i_variance(probabilities: torch.Tensor) -> float:
    """Mean over the K classes of the population (ddof 0) std over the N rows of an N x K matrix.

    Population std, not the unbiased one, to match the authors' numpy `np.std` default.
    """
    p = torch.as_tensor(probabilities).to(torch.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"expected an N x K probability matrix with N >= 1, got shape {tuple(p.shape)}")
    return float(p.std(dim=0, correction=0).mean())


def softmax_i_variance(logits: torch.Tensor) -> float:
    """I-Variance of softmax(logits) over dim 1, computed in float64 (small spreads survive rounding)."""
    return i_variance(torch.softmax(torch.as_tensor(logits).to(torch.float64), dim=1))
