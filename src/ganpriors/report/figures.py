"""Figures: sample grids, interpolations through the origin, FID against lambda, prior densities."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from ganpriors.metrics.interpolation import strip_through_origin  # noqa: E402
from ganpriors.report.common import save_figure  # noqa: E402

FIGURE_SEED = 0  # fixed latent draws, so figures change only when a model or prior changes
_save = save_figure  # the name the sampling figures below use


def _tile(images: torch.Tensor, rows: int, cols: int) -> np.ndarray:
    """uint8-range images (N x 1 x H x W, float in [-1, 1]) -> one H*rows x W*cols array."""
    x = images.clamp(-1, 1).add(1).div(2).cpu().numpy()[:, 0]
    h, w = x.shape[1:]
    grid = np.ones((rows * (h + 1) - 1, cols * (w + 1) - 1))
    for k in range(min(len(x), rows * cols)):
        r, c = divmod(k, cols)
        grid[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = x[k]
    return grid


@torch.no_grad()
def sample_grids(models: dict, n: int, path: Path, dpi: int) -> Path:
    """n x n samples of each run's artifacts.TrainedModel (label -> model, on the CPU)."""
    cols = len(models)
    fig, axes = plt.subplots(1, cols, figsize=(2.6 * cols, 2.9), squeeze=False)
    for ax, (run, model) in zip(axes[0], models.items()):
        rng = torch.Generator().manual_seed(FIGURE_SEED)
        ax.imshow(_tile(model.sample(n * n, rng), n, n), cmap="gray", vmin=0, vmax=1)
        ax.set_title(run)
        ax.axis("off")
    fig.suptitle("Samples from the prior (seed-0 model of each run)")
    return _save(fig, path, dpi)


@torch.no_grad()
def interpolation_strips(models: dict, rows: int, steps: int, path: Path, dpi: int) -> Path:
    """Per run (label -> artifacts.TrainedModel, on the CPU): `rows` strips z -> -z of `steps` images."""
    n = len(models)
    fig, axes = plt.subplots(n, 1, figsize=(steps * 0.55, n * rows * 0.6 + 0.4), squeeze=False)
    for ax, (run, model) in zip(axes[:, 0], models.items()):
        rng = torch.Generator().manual_seed(FIGURE_SEED)
        z, info = model.latents(rows, rng)
        z = strip_through_origin(z, steps).reshape(rows * steps, model.z_dim)
        y = info.get("y")  # a conditional model: each strip keeps its endpoint's label (or instance feature)
        ax.imshow(_tile(model.generate(z, None if y is None else y.repeat_interleave(steps, dim=0)), rows, steps),
                  cmap="gray", vmin=0, vmax=1)
        ax.set_ylabel(run, rotation=0, ha="right", va="center")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_title("Interpolations z -> -z through the origin (middle column: z = 0)")
    return _save(fig, path, dpi)


def fid_vs_lambda(frame: pd.DataFrame, runs: list[str], lambdas: list[float], label: str, path: Path,
                  dpi: int) -> Path:
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    xs = [0.0] + sorted(lambdas)
    for run in runs:
        means, stds = [], []
        for lam in xs:
            set_name = "prior" if lam == 0.0 else f"lambda_{lam:g}"
            vals = frame[(frame.run == run) & (frame.metric == "fid") & (frame.set == set_name)]["value"]
            means.append(vals.mean() if len(vals) else np.nan)
            stds.append(vals.std(ddof=1) if len(vals) > 1 else 0.0)
        ax.errorbar(xs, means, yerr=stds, marker="o", capsize=3, label=run)
    ax.set_xlabel(r"$\lambda$ in $(1-\lambda) z_1 + \lambda z_2$ (0 = prior samples)")
    ax.set_ylabel(f"FID ({label})")
    ax.set_title("FID along interpolations, mean ± std over seeds")
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi)


def prior_densities(priors: dict, path: Path, dpi: int) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    x = torch.linspace(-2.5, 2.5, 4001, dtype=torch.float64)
    for run, prior in priors.items():
        dens = prior.log_density(x).exp().numpy()
        for ax in axes:
            ax.plot(x.numpy(), dens, label=f"{run} (std {prior.std():.3g})", lw=1)
    axes[0].set_ylim(0, None)
    axes[1].set_yscale("log")
    axes[1].set_ylim(1e-4, None)
    axes[0].set_title("Per-dimension densities (linear)")
    axes[1].set_title("Per-dimension densities (log)")
    for ax in axes:
        ax.set_xlabel("z")
    axes[0].legend(fontsize=7)
    return save_figure(fig, path, dpi)
