"""Figures from probe grids (gene swaps, class-conditional samples, per-mode samples), and the
placeholder a study report writes when a run has no completed seed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ganpriors.io import atomic_path
from ganpriors.probes.base import Grid

CELL_INCHES = 0.55  # per 28 x 28 image


def _tile(grid: Grid) -> np.ndarray:
    """uint8 images (N x 1 x H x W, row-major) -> one array with a 1-pixel white gap between cells."""
    x = grid.images[:, 0].cpu().numpy()
    h, w = x.shape[1:]
    cells = np.full((grid.rows, grid.cols, h + 1, w + 1), 255, dtype=np.uint8)
    cells[:, :, :h, :w] = x.reshape(grid.rows, grid.cols, h, w)
    return cells.transpose(0, 2, 1, 3).reshape(grid.rows * (h + 1), grid.cols * (w + 1))[:-1, :-1]


def grid_figure(grid: Grid, title: str, path: Path | str, dpi: int) -> Path:
    """Render `grid` with row labels on the left and column labels on top; written atomically and
    without a Software tag, so the same grid gives the same bytes."""
    h, w = grid.images.shape[-2:]
    # A bare Figure renders with Agg and leaves pyplot's global state and backend alone.
    fig = Figure(figsize=(grid.cols * CELL_INCHES + 1.6, grid.rows * CELL_INCHES + 1.0))
    ax = fig.subplots()
    ax.imshow(_tile(grid), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([c * (w + 1) + (w - 1) / 2 for c in range(grid.cols)], grid.col_labels or [""] * grid.cols,
                  rotation=45, ha="left", fontsize=7)
    ax.set_yticks([r * (h + 1) + (h - 1) / 2 for r in range(grid.rows)], grid.row_labels or [""] * grid.rows,
                  fontsize=7)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, fontsize=9)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png", metadata={"Software": None})
    return path


def placeholder_figure(path: Path | str, text: str, dpi: int) -> Path:
    """A figure saying why there is nothing to show (every seed diverged), so that a declared
    output exists and the report does not fail the reproduction."""
    fig = Figure(figsize=(4, 1))
    fig.text(0.5, 0.5, text, ha="center", va="center")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", metadata={"Software": None})
    return Path(path)
