"""Named random streams of one run and seed.

The streams that existed before names did keep their seeds 2 * seed + k, so that existing runs keep
their bits; every other name gets a seed derived from the name and the run's seed, so adding a
stream never moves another one.
"""
from __future__ import annotations

import hashlib

import torch

LEGACY_OFFSETS = {
    "data": 0,      # batch order (on the CPU: independent of the training device)
    "z": 1,         # the prior's draws
    "loss": 2,      # the loss's own draws (WGAN-GP's interpolation weights)
    "snapshot": 3,  # the fixed latents of the training snapshots (2-D benchmarks)
}


def stream_seed(name: str, seed: int) -> int:
    if name in LEGACY_OFFSETS:
        return 2 * seed + LEGACY_OFFSETS[name]
    return int.from_bytes(hashlib.sha256(f"ganpriors/{name}/{seed}".encode()).digest()[:8], "big") >> 1


class RngStreams:
    """name -> torch.Generator, created on first use on the given device (default: the run's)."""

    def __init__(self, seed: int, device: torch.device | str):
        self.seed, self.device = seed, torch.device(device)
        self._streams: dict[str, torch.Generator] = {}
        self._pending: dict[str, torch.Tensor] = {}  # restored states of streams not created yet

    def get(self, name: str, device: torch.device | str | None = None) -> torch.Generator:
        if name not in self._streams:
            g = torch.Generator(device=torch.device(device) if device is not None else self.device)
            g.manual_seed(stream_seed(name, self.seed))
            if name in self._pending:
                g.set_state(self._pending.pop(name))
            self._streams[name] = g
        return self._streams[name]

    def state_dict(self) -> dict:
        return {**self._pending, **{name: g.get_state() for name, g in self._streams.items()}}

    def load_state_dict(self, state: dict) -> None:
        for name, s in state.items():
            if name in self._streams:
                self._streams[name].set_state(s)
            else:
                self._pending[name] = s
