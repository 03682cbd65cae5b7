"""StyleGenes probe: how class information sits in the latent, and conditional sampling from an
unconditionally trained generator.

Generated samples are labelled by the evaluation classifier. The latent fed to the generator is
cut into units with discrete codes: a gene bank's genes (code: the variant), or for continuous
latents equal chunks discretised by k-means (code: the cluster). Per unit we measure the share of
the class entropy it carries, estimate p(code | class), and sample latents for a requested class
unit by unit (the paper's recipe, which needs a factorised latent to be exact).
"""
from __future__ import annotations

import torch

from ganpriors.data.datasets import FASHION_MNIST_CLASSES, to_uint8
from ganpriors.metrics.latent_structure import (
    class_information,
    conditional_tables,
    entropy,
    kmeans_chunks,
    quantile_bins,
    sample_codes,
)
from ganpriors.probes.base import Grid, ProbeContext, ProbeResult

N_CLASSES = len(FASHION_MNIST_CLASSES)
BATCH = 500          # images generated and classified at once
MAX_SWAP_ROWS = 8    # units shown in the gene-swap figure


class _GeneUnits:
    """A gene bank's own discrete structure: units are genes, codes are variant indices."""

    name, unit, code = "genes", "gene", "variant"

    def __init__(self, prior, variants: torch.Tensor):
        self.prior = prior
        self.codes = variants.cpu()
        self.n_codes = prior.spec.variants

    def latents(self, codes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return self.prior.latents_from_variants(codes)

    def swapped(self, unit: int, n: int) -> torch.Tensor:
        """Pooled sample 0 with gene `unit` set to variants 0..n-1."""
        idx = self.codes[0].repeat(n, 1)
        idx[:, unit] = torch.arange(n)
        return self.prior.latents_from_variants(idx)


class _ChunkUnits:
    """A continuous latent discretised for the probe: units are equal chunks of the coordinates,
    codes are k-means clusters of each chunk over the pooled samples."""

    name, unit, code = "k-means chunks", "chunk", "cluster"

    def __init__(self, z: torch.Tensor, chunks: int, clusters: int, seed: int):
        self.z = z
        self.width = z.shape[1] // chunks
        self.codes, self.centers = kmeans_chunks(z, chunks, clusters, seed)
        self.n_codes = clusters

    def _slice(self, unit: int) -> slice:
        return slice(unit * self.width, (unit + 1) * self.width)

    def latents(self, codes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Each chunk is copied from a pooled sample with the drawn code (uniformly among them), so
        conditional latents stay on the generator's input distribution chunk by chunk."""
        return torch.cat([self._chunk(u, codes[:, u], generator) for u in range(codes.shape[1])], 1)

    def _chunk(self, unit: int, drawn: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        device = drawn.device
        pool = self.codes[:, unit].to(device)
        order = torch.argsort(pool, stable=True)      # pooled samples grouped by code
        counts = torch.bincount(pool, minlength=self.n_codes)
        starts = counts.cumsum(0) - counts
        u = torch.rand(len(drawn), generator=generator, device=device, dtype=torch.float64)
        offset = (u * counts[drawn]).long()
        pick = order[(starts[drawn] + offset).clamp_max(len(pool) - 1)]
        chunk = self.z[pick, self._slice(unit)]
        # A code no pooled sample has (possible with smoothing) falls back to its k-means center.
        center = self.centers[unit].to(device)[drawn]
        return torch.where((counts[drawn] > 0)[:, None], chunk, center)

    def swapped(self, unit: int, n: int) -> torch.Tensor:
        """Pooled sample 0 with chunk `unit` set to k-means centers 0..n-1."""
        z = self.z[0].repeat(n, 1)
        z[:, self._slice(unit)] = self.centers[unit][:n].to(z.device)
        return z


def _labels(ctx: ProbeContext, z: torch.Tensor) -> torch.Tensor:
    """Classifier labels (CPU) of G(z), generated in batches."""
    return torch.cat([ctx.classifier(ctx.model.generate(b)).argmax(1).cpu() for b in z.split(BATCH)])


def _concentration(values: list[float]) -> float | None:
    """max / sum: 1 when one unit carries all the information, 1 / units when it is spread evenly."""
    total = sum(values)
    return max(values) / total if total > 0 else None


def _information(units, z: torch.Tensor, labels: torch.Tensor, bins: int) -> dict:
    unit_info = class_information(units.codes, labels, N_CLASSES)
    coordinate_info = class_information(quantile_bins(z.cpu(), bins), labels, N_CLASSES)
    return {
        "units": units.name,
        "n_units": len(unit_info),
        "n_codes": units.n_codes,
        "class_entropy_nats": entropy(labels, N_CLASSES),
        "unit_information": unit_info,
        "max_unit_information": max(unit_info),
        "unit_information_concentration": _concentration(unit_info),
        "coordinate_information": coordinate_info,
        "max_coordinate_information": max(coordinate_info),
        "coordinate_information_concentration": _concentration(coordinate_info),
    }


def _images(ctx: ProbeContext, z: torch.Tensor) -> torch.Tensor:
    return to_uint8(ctx.model.generate(z)).cpu()


def _swap_grid(ctx: ProbeContext, units, n_cols: int) -> Grid:
    rows = min(units.codes.shape[1], MAX_SWAP_ROWS)
    cols = min(n_cols, units.n_codes)
    z = torch.cat([units.swapped(u, cols) for u in range(rows)])
    return Grid(_images(ctx, z), rows, cols, [f"{units.unit} {u}" for u in range(rows)],
                [f"{units.code} {j}" for j in range(cols)])


@torch.no_grad()
def probe_stylegenes(ctx: ProbeContext) -> ProbeResult:
    s = ctx.settings
    g = torch.Generator(device=ctx.device).manual_seed(ctx.seed)
    z, info = ctx.prior.sample_with_info(s.n_samples, ctx.z_dim, g, ctx.device)
    labels = _labels(ctx, z)
    if "variants" in info:
        units = _GeneUnits(ctx.prior, info["variants"])
    else:
        units = _ChunkUnits(z, s.chunks, s.clusters, ctx.seed)
    numbers = _information(units, z, labels, s.coordinate_bins)

    tables = conditional_tables(units.codes, labels, units.n_codes, N_CLASSES, s.smoothing).to(ctx.device)
    per_class = min(s.grid_per_class, s.n_conditional)
    accuracy, shown = [], []
    for c in range(N_CLASSES):
        zc = units.latents(sample_codes(tables, c, s.n_conditional, g), g)
        accuracy.append(float((_labels(ctx, zc) == c).double().mean()))
        shown.append(zc[:per_class])
    share = torch.bincount(labels, minlength=N_CLASSES).double() / len(labels)
    numbers.update({
        "conditional_accuracy": accuracy,
        "mean_conditional_accuracy": sum(accuracy) / N_CLASSES,
        "unconditional_share": share.tolist(),  # chance level of each class's accuracy
        "describe": {**ctx.prior.describe(),
                     "generator_parameters": sum(p.numel() for p in ctx.generator.parameters())},
    })
    grids = {
        "gene_swap": _swap_grid(ctx, units, s.grid_variants),
        "class_conditional": Grid(_images(ctx, torch.cat(shown)), N_CLASSES, per_class,
                                  list(FASHION_MNIST_CLASSES), [f"sample {j}" for j in range(per_class)]),
    }
    return ProbeResult(numbers, grids)
