"""NEMGAN's mode matching (Mishra et al.) and NEMGAN-P's learned mode prior.

An inversion network E maps G(z) back to the latent; the generator step adds
z_weight * MSE(E_z(G(z)), z) + mode_weight * CE(E_c(G(z)), c), optimised by G and E together, so
that each latent mode becomes one image mode. The paper writes the mode term as BCE of E_c's
softmax p against onehot(c); that is the categorical cross-entropy -log p_c used here plus
-sum_{k != c} log(1 - p_k), which has the same minimiser p = onehot(c) and only sharpens the push
away from wrong modes.
With `n_sup` > 0, E_c also gets cross-entropy on class-balanced batches of a few labelled real
images, which ties mode m to group m. With a learnable prior, after each generator step (past the
warm-up) the mode logits take one Adam step on KL(mean E_c(x_real) || mean w).
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from ganpriors.nets.inversion import InversionNet
from ganpriors.regularisers.base import Regulariser, StepContext
from ganpriors.train.context import GENERATOR

_SALT = 0x6E656D67616E  # "nemgan": keeps these streams apart from the training loop's seed-derived ones
_EPS = 1e-8  # floor under the KL's logarithms


class ModeMatching(Regulariser):
    def __init__(self, options, *, run, prior, data, image_shape, device, seed):
        super().__init__(options)
        if tuple(image_shape[1:]) != (28, 28):
            raise ValueError(f"the inversion network is built for 28 x 28 images, got {image_shape}")
        self.prior = prior
        self.device = torch.device(device)
        self.batch_size = run.train.batch_size
        self.inversion = InversionNet(run.model.z_dim, prior.spec.modes, options.channels,
                                      image_shape[0]).to(self.device)
        betas = (run.train.beta1, run.train.beta2)
        self.opt = torch.optim.Adam(self.inversion.parameters(), lr=options.lr, betas=betas)
        self.learnable = prior.spec.learnable
        self.prior_opt = torch.optim.Adam([prior.logits], lr=options.prior_lr) if self.learnable else None

        base = torch.Generator().manual_seed(_SALT + seed)
        sup_seed, prior_seed = torch.randint(0, 2**62, (2,), generator=base).tolist()
        self.sup_rng = torch.Generator().manual_seed(sup_seed)  # CPU: indices independent of the device
        self.prior_rng = torch.Generator(device=self.device).manual_seed(prior_seed)
        self.sup_images = self.sup_labels = self.sup_weights = None
        if options.n_sup > 0 and data is not None:
            self._choose_supervision(data, base)
        self._values: dict[str, torch.Tensor] = {}

    def _choose_supervision(self, data, rng: torch.Generator) -> None:
        """The first n_sup images of a seeded permutation, weighted 1 / (count of their group) so
        that draws with replacement are class-balanced."""
        n = len(data.images)
        if self.options.n_sup > n:
            raise ValueError(f"mode_matching.n_sup {self.options.n_sup} exceeds the {n} training images")
        idx = torch.randperm(n, generator=rng)[: self.options.n_sup]
        labels = data.labels.cpu()[idx]
        self.sup_images = data.images[idx.to(data.images.device)].to(self.device)
        self.sup_labels = labels.to(self.device)
        self.sup_weights = 1.0 / torch.bincount(labels)[labels].double()

    def supervision_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.multinomial(self.sup_weights, self.batch_size, replacement=True, generator=self.sup_rng)
        idx = idx.to(self.device)
        return self.sup_images[idx], self.sup_labels[idx]

    def modules(self):
        return {"inversion": self.inversion}

    def optimizers(self):
        return {GENERATOR: [self.opt]}  # E trains with G, on the same mode-matching term

    def generator_term(self, ctx: StepContext) -> torch.Tensor:
        z_hat, logits = self.inversion(ctx.fake)
        match_z = F.mse_loss(z_hat, ctx.z)
        match_mode = F.cross_entropy(logits, ctx.info["modes"])
        term = self.options.z_weight * match_z + self.options.mode_weight * match_mode
        self._values["match_z"], self._values["match_mode"] = match_z.detach(), match_mode.detach()
        if self.sup_images is not None:
            x, y = self.supervision_batch()
            sup = F.cross_entropy(self.inversion(x)[1], y)
            term = term + self.options.sup_weight * sup
            self._values["sup"] = sup.detach()
        return term

    def after_g_step(self, ctx: StepContext) -> None:
        if not self.learnable or ctx.step + 1 <= self.options.prior_warmup:
            return
        with torch.no_grad():
            p_real = F.softmax(self.inversion(ctx.real)[1], 1).mean(0)
        w, _ = self.prior.soft_modes(self.batch_size, generator=self.prior_rng, device=self.device, detach_pi=False)
        q = w.mean(0)
        kl = (p_real * (p_real.clamp_min(_EPS).log() - q.clamp_min(_EPS).log())).sum()
        self.prior_opt.zero_grad(set_to_none=True)
        kl.backward()
        self.prior_opt.step()
        self._values["prior_kl"] = kl.detach()

    def stats(self) -> dict[str, float]:
        """Stable columns: NaN until a value exists (prior_kl stays NaN for a fixed prior)."""
        names = ["match_z", "match_mode"] + (["sup"] if self.options.n_sup > 0 else []) + ["prior_kl"]
        out = {k: float(self._values[k]) if k in self._values else math.nan for k in names}
        out.update({f"pi_{k}": p for k, p in enumerate(self.prior.pi.detach().cpu().tolist())})
        return out

    def state_dict(self) -> dict:
        """E, both optimizers and both random streams; the logits are saved with the prior."""
        state = {"inversion": self.inversion.state_dict(), "optimizer": self.opt.state_dict(),
                 "sup_rng": self.sup_rng.get_state(), "prior_rng": self.prior_rng.get_state()}
        if self.prior_opt is not None:
            state["prior_optimizer"] = self.prior_opt.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.inversion.load_state_dict(state["inversion"])
        self.opt.load_state_dict(state["optimizer"])
        self.sup_rng.set_state(state["sup_rng"])
        self.prior_rng.set_state(state["prior_rng"])
        if self.prior_opt is not None:
            self.prior_opt.load_state_dict(state["prior_optimizer"])
