"""The StyleMapping baseline of StyleGenes: z ~ N(0, I) through a learnable MLP (StyleGAN's mapping
network), trained jointly with the generator. The generator's input is the mapped w."""
from __future__ import annotations

import itertools

import torch
from torch import nn

from ganpriors.errors import GanpriorsError
from ganpriors.priors.base import Prior

PREFIX = "mapping."


def mapping_network(dim: int, hidden: int, layers: int, negative_slope: float,
                    device: torch.device | str = "cpu") -> nn.Sequential:
    """dim -> hidden -> ... -> dim with `layers` Linear layers and LeakyReLU between them."""
    widths = [dim] + [hidden] * (layers - 1) + [dim]
    modules: list[nn.Module] = []
    for k, (a, b) in enumerate(itertools.pairwise(widths)):
        if k:
            modules.append(nn.LeakyReLU(negative_slope))
        modules.append(nn.Linear(a, b, device=device))
    return nn.Sequential(*modules)


class MappedNormalPrior(Prior):
    iid_per_dimension = False

    def __init__(self, spec, state: dict | None = None):
        super().__init__(spec)
        self.device = torch.device("cpu")
        self.mapping: nn.Sequential | None = None
        if state:
            self.mapping = self._restore(state)

    def _restore(self, state: dict) -> nn.Sequential:
        weights = {k[len(PREFIX):]: v for k, v in state.items() if k.startswith(PREFIX)}
        first = weights.get("0.weight")
        if first is None or first.dim() != 2:
            raise GanpriorsError("prior state does not hold a mapping network; retrain the run")
        # Built on the meta device and filled by assignment: restoring draws nothing from the RNG.
        s = self.spec
        mapping = mapping_network(first.shape[1], s.hidden, s.layers, s.negative_slope, device="meta")
        try:
            mapping.load_state_dict({k: v.float() for k, v in weights.items()}, assign=True)
        except RuntimeError as exc:
            detail = str(exc).splitlines()[-1].strip()
            raise GanpriorsError(f"prior state does not match the mapping network of the spec ({detail}); "
                                 "retrain the run") from None
        return mapping

    def build(self, dim: int) -> None:
        """Create the MLP with torch's default init from the global RNG (seeded by the training loop)."""
        if self.mapping is not None:
            have = self.mapping[0].in_features
            if have != dim:
                raise ValueError(f"mapping network maps {have}-dimensional latents, not {dim}")
            return
        s = self.spec
        self.mapping = mapping_network(dim, s.hidden, s.layers, s.negative_slope).to(self.device)

    def sample(self, n, dim, generator=None, device="cpu"):
        return self.sample_with_info(n, dim, generator, device)[0]

    def sample_with_info(self, n, dim, generator=None, device="cpu"):
        self.build(dim)
        z = torch.randn(n, dim, generator=generator, device=device)
        return self.mapping(z.to(self.device)).to(device), {"normal": z}

    def trainable_parameters(self):
        return list(self._require().parameters())

    def to(self, device):
        self.device = torch.device(device)
        if self.mapping is not None:
            self.mapping.to(self.device)  # in place: parameters keep their identity
        return self

    def train(self, mode=True):
        if self.mapping is not None:
            self.mapping.train(mode)
        return self

    def state(self):
        return {PREFIX + k: v.detach().cpu().contiguous() for k, v in self._require().state_dict().items()}

    def describe(self):
        return {
            "parameters": sum(p.numel() for p in self._require().parameters()),
            "distinct_latents": None,  # continuous
            "log10_distinct_latents": None,
            "hidden": self.spec.hidden,
            "layers": self.spec.layers,
        }

    def _require(self) -> nn.Sequential:
        if self.mapping is None:
            raise RuntimeError("mapping network is not built yet; call build(dim) or sample first")
        return self.mapping
