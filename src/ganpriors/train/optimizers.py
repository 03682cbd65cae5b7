"""The optimisers a run may train with (params `train.optimizer`), looked up in
ganpriors.registry.OPTIMIZERS: each is `(params, lr, train_settings) -> torch.optim.Optimizer`.
G and D each get one (with their own learning rate, lr_g / lr_d); hooks' parameters join it.
"""
from __future__ import annotations

import torch


def adam(params, lr: float, cfg) -> torch.optim.Optimizer:
    """Adam with betas (beta1, beta2); `adam: fused` picks the fused kernel (other bits, same maths).
    The call is the one the loop has always made, so Adam runs keep their bits."""
    return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2), **({"fused": True} if cfg.adam == "fused" else {}))


def rmsprop(params, lr: float, cfg) -> torch.optim.Optimizer:
    """RMSProp as WGAN (Arjovsky et al. 2017, Algorithm 1) trains both nets: the authors' PyTorch code
    uses torch's defaults (smoothing 0.99, eps 1e-8, no momentum). beta1/beta2 are Adam's: unused."""
    return torch.optim.RMSprop(params, lr=lr)
