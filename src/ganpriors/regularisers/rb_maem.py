"""RB-MaEM (MaEM-GAN, Liu et al., AAAI 2023): replay-buffer entropy on the discriminator's embedding.

The discriminator outputs an m-dimensional embedding V = D(x). For each generated embedding V0 the
generator minimises cos(V0, V*) + lambda ||V0||, where V* is V0's nearest neighbour by cosine among
the last `buffer_size` generated embeddings. Pushing each new code away from the recent ones spreads
the generated embeddings over directions (an entropy surrogate), which counters mode collapse.

The authors' released code drops batch_size rows from its buffer and appends one per step, so their
buffer shrinks to a handful of codes; `ReplayBuffer` here truly holds the last N codes, in order.
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from ganpriors.regularisers.base import Regulariser, StepContext

_EPS = 1e-8  # floor under the norms of the cosine


class ReplayBuffer:
    """FIFO of the last `size` codes of dimension `dim`: a preallocated ring, a write position and a
    fill count, so a push costs one or two slice copies and nothing grows."""

    def __init__(self, size: int, dim: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32):
        if size < 1 or dim < 1:
            raise ValueError(f"a replay buffer needs size >= 1 and dim >= 1, got size {size}, dim {dim}")
        self.size, self.dim = size, dim
        self.ring = torch.zeros(size, dim, device=device, dtype=dtype)
        self.pos = 0    # next row written
        self.count = 0  # rows filled, at most size

    def __len__(self) -> int:
        return self.count

    def push(self, codes: torch.Tensor) -> None:
        """Append B x dim codes (stored detached); of a batch larger than the buffer only its last
        `size` rows remain."""
        codes = codes.detach()
        if codes.numel() != codes.shape[0] * self.dim:
            raise ValueError(f"replay buffer holds {self.dim}-dimensional codes, got {tuple(codes.shape)}")
        codes = codes.reshape(codes.shape[0], self.dim)  # B (m = 1) or B x m
        codes = codes[-self.size:]
        n = codes.shape[0]
        first = min(n, self.size - self.pos)  # rows up to the end of the ring, the rest wraps to the start
        self.ring[self.pos:self.pos + first] = codes[:first]
        self.ring[:n - first] = codes[first:]
        self.pos = (self.pos + n) % self.size
        self.count = min(self.size, self.count + n)

    def contents(self) -> torch.Tensor:
        """The stored codes oldest to newest, as a new tensor: later pushes write the ring in place,
        which must not touch a tensor that autograd saved for a backward pass still to come."""
        if self.count < self.size:
            return self.ring[:self.count].clone()  # not yet wrapped: pos == count
        return torch.cat([self.ring[self.pos:], self.ring[:self.pos]])

    def state_dict(self) -> dict:
        return {"ring": self.ring.clone(), "pos": self.pos, "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        ring = state["ring"]
        if tuple(ring.shape) != (self.size, self.dim):
            raise ValueError(f"replay buffer state has shape {tuple(ring.shape)}, expected {(self.size, self.dim)}")
        self.ring.copy_(ring)
        self.pos, self.count = int(state["pos"]), int(state["count"])


def nearest_cosine(codes: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
    """cos(codes_i, V*_i) with V*_i the row of `bank` of highest cosine to codes_i (B). Its gradient
    wrt codes is that of cos(codes_i, V*_i) with the neighbour held fixed."""
    unit = F.normalize(codes, dim=1, eps=_EPS)
    unit_bank = F.normalize(bank.to(codes.dtype), dim=1, eps=_EPS)
    return (unit @ unit_bank.T).max(dim=1).values


class ReplayBufferEntropy(Regulariser):
    def __init__(self, options, *, run, prior, data, image_shape, device, seed):
        super().__init__(options)
        dim = run.model.d_outputs
        self.fake_buffer = ReplayBuffer(options.buffer_size, dim, device)
        # The authors' code spreads the real embeddings too, in the discriminator step, with its own buffer.
        self.real_buffer = ReplayBuffer(options.buffer_size, dim, device) if options.real_in_discriminator else None
        self._values: dict[str, torch.Tensor] = {}  # kept on the device: no sync per step

    def ramp(self, step: int) -> float:
        """Linear warm-up of the weight over the first `warmup` generator steps."""
        warmup = self.options.warmup
        return min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0

    def _entropy_term(self, codes: torch.Tensor, buffer: ReplayBuffer, step: int, key: str) -> torch.Tensor | None:
        """weight * ramp * (mean nearest cosine + lambda mean ||code||) against the buffer, then push
        the codes: pushed after the loss so that no code is its own neighbour. None while empty."""
        codes = codes.reshape(codes.shape[0], -1)
        if len(buffer) == 0:
            buffer.push(codes)
            return None
        cos = nearest_cosine(codes, buffer.contents()).mean()
        loss = cos + self.options.norm_weight * codes.norm(dim=1).mean()
        buffer.push(codes)
        self._values[key] = cos.detach()
        return self.options.weight * self.ramp(step) * loss

    def generator_term(self, ctx: StepContext) -> torch.Tensor | None:
        # D(fake) of the generator update, shared with the adversarial loss
        return self._entropy_term(ctx.d_fake_for_g.code(), self.fake_buffer, ctx.step, "rb_maem_cos")

    def discriminator_term(self, ctx: StepContext) -> torch.Tensor | None:
        if self.real_buffer is None:
            return None
        return self._entropy_term(ctx.d_real.code(), self.real_buffer, ctx.step, "rb_maem_real_cos")

    def stats(self) -> dict[str, float]:
        """Stable columns: the last mean nearest-neighbour cosine (NaN until computed) and the fill
        count of the generated-code buffer; the real one's cosine only when it is used."""
        names = ["rb_maem_cos"] + (["rb_maem_real_cos"] if self.real_buffer is not None else [])
        out = {k: float(self._values[k]) if k in self._values else math.nan for k in names}
        out["rb_maem_buffer"] = float(len(self.fake_buffer))
        return out

    def state_dict(self) -> dict:
        """The buffers: the next term depends on them, so a resumed run needs them to continue bit for bit."""
        state = {"fake_buffer": self.fake_buffer.state_dict(), "values": {k: v.clone() for k, v in self._values.items()}}
        if self.real_buffer is not None:
            state["real_buffer"] = self.real_buffer.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.fake_buffer.load_state_dict(state["fake_buffer"])
        if self.real_buffer is not None:
            self.real_buffer.load_state_dict(state["real_buffer"])
        self._values = {k: v.to(self.fake_buffer.ring.device) for k, v in state.get("values", {}).items()}
