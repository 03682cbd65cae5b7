"""Helpers every study report shares: number formatting, the spread over seeds, writing a table
(CSV for machines, Markdown and LaTeX for people) and writing figures (atomically, without the
"Software" tag, so the same content gives the same bytes), the placeholder figure of a run with
nothing to show, and the figure of a probe's image grid.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ganpriors.errors import GanpriorsError  # noqa: E402
from ganpriors.io import atomic_path, write_text  # noqa: E402

if TYPE_CHECKING:
    from ganpriors.probes.base import Grid

SPREADS = ("std", "sem")  # params `report.spread`
FLOAT_FORMAT = "%.6g"     # of every CSV a report writes
DIVERGED = "diverged"     # the cell of a run without a completed seed
CELL_INCHES = 0.55        # per 28 x 28 image of a grid figure


def require_dir(dirs, name: str, kind: str) -> Path:
    """The folder `name` of a report's ReportDirs, which a `kind` study's report needs."""
    value = getattr(dirs, name, None)
    if value is None:
        raise GanpriorsError(f"report of a {kind} study needs --{name}-dir")
    return Path(value)


# ---------------------------------------------------------------------------------------------
# Numbers


def spread(values: pd.Series, kind: str) -> float:
    """Spread of `values` over seeds: sample standard deviation ('std') or standard error of the
    mean ('sem' = std / sqrt(n)); NaN for fewer than two values."""
    if kind not in SPREADS:
        raise ValueError(f"spread '{kind}': expected one of {', '.join(SPREADS)}")
    if len(values) < 2:
        return float("nan")
    std = float(values.std(ddof=1))
    return std / np.sqrt(len(values)) if kind == "sem" else std


def mean_spread(values: Iterable, kind: str) -> tuple[float, float, int]:
    """(mean, spread, count) over the finite values (None, NaN and infinities left out)."""
    clean = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not clean:
        return float("nan"), float("nan"), 0
    series = pd.Series(clean, dtype="float64")
    return float(series.mean()), spread(series, kind), len(clean)


def missing(value) -> bool:
    """None or NaN (an empty cell)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_mean(mean, spread_value, decimals: int, empty: str = "n/a") -> str:
    """'mean ± spread' with `decimals` decimals; the mean alone without a spread (one seed);
    `empty` without a mean."""
    if missing(mean):
        return empty
    if missing(spread_value):
        return f"{mean:.{decimals}f}"
    return f"{mean:.{decimals}f} ± {spread_value:.{decimals}f}"


def format_cell(mean, spread_value, decimals: int, seeds: int, empty: str = "n/a") -> str:
    """A table cell of a run's score: 'diverged' when no seed of the run completed, else
    format_mean (`empty` when the completed seeds have no value)."""
    return DIVERGED if seeds == 0 else format_mean(mean, spread_value, decimals, empty)


# ---------------------------------------------------------------------------------------------
# Tables


def write_csv(path: Path | str, df: pd.DataFrame) -> Path:
    write_text(path, df.to_csv(index=False, float_format=FLOAT_FORMAT))
    return Path(path)


def write_table(df: pd.DataFrame, display: pd.DataFrame, stem: Path, caption: str) -> list[Path]:
    """`df` (numbers) as <stem>.csv; `display` (formatted cells) with `caption` as <stem>.md and
    <stem>.tex."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".csv"), stem.with_suffix(".md"), stem.with_suffix(".tex")]
    write_csv(paths[0], df)
    write_text(paths[1], f"{caption}\n\n" + display.to_markdown(index=False) + "\n")
    latex = display.to_latex(index=False, caption=caption.replace("±", r"$\pm$"), escape=True)
    write_text(paths[2], latex.replace("±", r"$\pm$"))
    return paths


# ---------------------------------------------------------------------------------------------
# Figures


def save_figure(fig, path: Path | str, dpi: int, tight: bool = True) -> Path:
    """Write `fig` as PNG atomically and without the Software tag (stable bytes); closes it if
    pyplot made it."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight" if tight else None, format="png",
                    metadata={"Software": None})
    plt.close(fig)
    return path


def placeholder_figure(path: Path | str, text: str, dpi: int) -> Path:
    """A figure saying why there is nothing to show (every seed diverged), so that a declared
    output exists and the report does not fail the reproduction."""
    fig = Figure(figsize=(4, 1))
    fig.text(0.5, 0.5, text, ha="center", va="center")
    return save_figure(fig, path, dpi, tight=False)


def _tile(grid: Grid) -> np.ndarray:
    """uint8 images (N x 1 x H x W, row-major) -> one array with a 1-pixel white gap between cells."""
    x = grid.images[:, 0].cpu().numpy()
    h, w = x.shape[1:]
    cells = np.full((grid.rows, grid.cols, h + 1, w + 1), 255, dtype=np.uint8)
    cells[:, :, :h, :w] = x.reshape(grid.rows, grid.cols, h, w)
    return cells.transpose(0, 2, 1, 3).reshape(grid.rows * (h + 1), grid.cols * (w + 1))[:-1, :-1]


def grid_figure(grid: Grid, title: str, path: Path | str, dpi: int) -> Path:
    """A probe's image grid (gene swaps, class-conditional samples, samples per mode) with row
    labels on the left and column labels on top."""
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
    return save_figure(fig, path, dpi)
