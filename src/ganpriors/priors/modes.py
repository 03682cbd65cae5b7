"""NEMGAN's engineered multimodal latent (Mishra et al.), with NEMGAN-P's learnable mode prior.

A latent is z = [0 ... 0, w] + U(-noise, noise)^dim: w is a (nearly) one-hot code of the mode c in
the last `modes` coordinates. The mode is drawn by a reparameterisation of u ~ U[0, 1] through
sigmoid steps at the cumulative sums of pi = softmax(logits), so that the mean of w over a batch is
differentiable in the logits; NEMGAN-P trains them by KL(mode shares of the real data || mean w)
(see regularisers.mode_matching). pi is detached whenever z feeds the generator.
"""
from __future__ import annotations

import torch
from torch import nn

from ganpriors.errors import GanpriorsError
from ganpriors.priors.base import Prior


class ModesPrior(Prior):
    iid_per_dimension = False

    def __init__(self, spec, state: dict | None = None):
        super().__init__(spec, state)
        logits = torch.zeros(spec.modes)  # equiprobable modes: the original NEMGAN and NEMGAN-P's start
        if state and "logits" in state:
            if tuple(state["logits"].shape) != (spec.modes,):
                raise GanpriorsError(f"prior state holds {tuple(state['logits'].shape)} mode logits, the spec "
                                     f"has {spec.modes} modes; retrain the run")
            logits = state["logits"].detach().float().clone()
        self.logits = nn.Parameter(logits)

    @property
    def pi(self) -> torch.Tensor:
        return torch.softmax(self.logits, 0)

    def soft_modes(self, n: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu",
                   detach_pi: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """(w [n, modes], c [n]): w_k = sig(s (u - c_{k-1})) - sig(s (u - c_k)) at the cumulative
        sums c_k of pi, and c = argmax w, so P(c = k) = pi_k up to terms of order exp(-s pi_k).

        The outer steps are exact (sig(s (u - c_{-1})) := 1, sig(s (u - c_{M-1})) := 0): with
        c_{-1} = 0 and c_{M-1} = 1 taken literally, the first and last modes lose
        ln(2)/s of their expected weight and w does not sum to 1 near u = 0 or 1. Here every row
        of w sums to 1 and E[w] = pi up to terms of order exp(-s pi_k)/s, so the KL of NEMGAN-P
        compares distributions and has its minimum at the true shares.
        """
        pi = (self.pi.detach() if detach_pi else self.pi).to(device)
        u = torch.rand(n, 1, generator=generator, device=device)
        steps = torch.sigmoid(self.spec.sharpness * (u - torch.cumsum(pi, 0)[:-1]))  # n x (M - 1)
        upper = torch.cat([torch.ones(n, 1, device=device), steps], 1)   # step up at c_{k-1}
        lower = torch.cat([steps, torch.zeros(n, 1, device=device)], 1)  # step down at c_k
        w = upper - lower
        return w, w.argmax(1)

    def _noise(self, n: int, dim: int, generator, device) -> torch.Tensor:
        return torch.rand(n, dim, generator=generator, device=device).mul_(2 * self.spec.noise).sub_(self.spec.noise)

    def sample_with_info(self, n, dim, generator=None, device="cpu"):
        """z = [0 ... 0, onehot(c)] + noise, with c drawn from pi by the step-function draw and pi
        detached (frozen during the G and E updates).

        The paper writes z = [0 ... 0, w] + noise. Here z carries the hard one-hot of c, the limit of
        w for a sharp step: at the default sharpness (s = 100) w is one-hot only up to sig(-s d) at a
        distance d from a step (for pi = 0.3/0.1/0.3/0.2/0.1, max w > 0.99 for just 62% of draws), so
        a soft w would blur neighbouring modes in G's input. The soft, differentiable w is what the
        prior update uses (soft_modes with detach_pi=False); with pi frozen here it would carry no
        gradient anyway. info["modes"] = c (the cross-entropy target), info["w"] the soft code.
        """
        m = self.spec.modes
        w, c = self.soft_modes(n, generator, device, detach_pi=True)
        z = self._noise(n, dim, generator, device)
        z[:, dim - m:] += torch.nn.functional.one_hot(c, m).to(z.dtype)
        return z, {"modes": c, "w": w}

    def sample(self, n, dim, generator=None, device="cpu"):
        return self.sample_with_info(n, dim, generator, device)[0]

    def sample_mode(self, n: int, dim: int, mode: int, generator: torch.Generator | None = None,
                    device: torch.device | str = "cpu") -> torch.Tensor:
        """Latents of one fixed mode (mode-conditional generation): onehot(mode) plus the noise."""
        if not 0 <= mode < self.spec.modes:
            raise ValueError(f"mode {mode} is outside 0..{self.spec.modes - 1}")
        z = self._noise(n, dim, generator, device)
        z[:, dim - self.spec.modes + mode] += 1.0
        return z

    def to(self, device):
        # In place, so that an optimizer built on `logits` before the move still holds them.
        self.logits.data = self.logits.data.to(device)
        return self

    def state(self):
        return {"logits": self.logits.detach().cpu().clone()}

    def describe(self):
        return {"modes": self.spec.modes, "pi": self.pi.detach().cpu().tolist(), "learnable": self.spec.learnable}
