"""StyleGenes (Ntavelis et al. 2023): a discrete, factorised, learnable latent distribution.

The latent is split into `genes` equal chunks; gene g has a bank of `variants` learnable vectors.
A sample draws one variant per gene uniformly and concatenates them, so variants * dim parameters
give variants ** genes distinct latents. The banks are trained with the generator: indexing
routes the generator's gradient to the selected rows only.
"""
from __future__ import annotations

import math

import torch

from ganpriors.errors import GanpriorsError
from ganpriors.priors.base import Prior


class GeneBankPrior(Prior):
    iid_per_dimension = False

    def __init__(self, spec, state: dict | None = None):
        super().__init__(spec)
        self.device = torch.device("cpu")
        self.banks: torch.nn.Parameter | None = None
        if state:
            banks = state.get("banks")
            if banks is None or banks.dim() != 3 or banks.shape[:2] != (spec.genes, spec.variants):
                raise GanpriorsError(
                    f"prior state does not hold gene banks of {spec.genes} genes x {spec.variants} variants; "
                    "retrain the run"
                )
            self.banks = torch.nn.Parameter(banks.float().clone())

    def build(self, dim: int) -> None:
        """Create the banks from torch's global RNG (seeded by the training loop) on first use."""
        self.spec.check_latent_dim(dim)
        shape = (self.spec.genes, self.spec.variants, dim // self.spec.genes)
        if self.banks is not None:
            if tuple(self.banks.shape) != shape:
                raise ValueError(f"gene banks have shape {tuple(self.banks.shape)}, latents of dim {dim} need {shape}")
            return
        # Drawn on the CPU so that the initial banks do not depend on the device.
        banks = torch.randn(shape) * self.spec.init_std
        self.banks = torch.nn.Parameter(banks.to(self.device))

    def sample(self, n, dim, generator=None, device="cpu"):
        return self.sample_with_info(n, dim, generator, device)[0]

    def sample_with_info(self, n, dim, generator=None, device="cpu"):
        self.build(dim)
        idx = torch.randint(self.spec.variants, (n, self.spec.genes), generator=generator, device=device)
        return self.latents_from_variants(idx).to(device), {"variants": idx}

    def latents_from_variants(self, idx: torch.Tensor) -> torch.Tensor:
        """Variant indices (n x genes) -> latents (n x dim): the selected bank rows, concatenated."""
        banks = self._require()
        genes = torch.arange(banks.shape[0], device=banks.device)
        return banks[genes, idx.to(banks.device)].flatten(1)

    def trainable_parameters(self):
        return [self._require()]

    def to(self, device):
        # Moving the data keeps the Parameter object (and any optimizer's reference to it) intact.
        self.device = torch.device(device)
        if self.banks is not None:
            self.banks.data = self.banks.data.to(self.device)
        return self

    def state(self):
        return {"banks": self._require().detach().cpu().contiguous()}

    def describe(self):
        genes, variants, gene_dim = self._require().shape
        return {
            "parameters": genes * variants * gene_dim,
            "distinct_latents": variants ** genes,
            "log10_distinct_latents": genes * math.log10(variants),
            "genes": genes,
            "variants": variants,
            "gene_dim": gene_dim,
        }

    def _require(self) -> torch.nn.Parameter:
        if self.banks is None:
            raise RuntimeError("gene banks are not built yet; call build(dim) or sample first")
        return self.banks
