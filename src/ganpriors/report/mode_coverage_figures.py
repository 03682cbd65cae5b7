"""Mode-coverage figures: generator samples over training on the 2-D mixtures (a row per run, a
column per snapshot, mode centres marked), and the histogram of generated samples over modes."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ganpriors.report.common import placeholder_figure, save_figure  # noqa: E402

MAX_SNAPSHOT_COLUMNS = 10   # more snapshots than this: evenly spaced ones, first and last included
SORTED_ABOVE = 100          # histograms of more modes than this are drawn as sorted counts (stacked: 1000)
PANEL_COLUMNS = 4


@dataclass
class TraceRow:
    """One run of a 2-D benchmark: its snapshots (step -> N x 2 samples) at the shown seed."""

    run: str
    group: str                              # dataset label: rows of one dataset share axis limits
    seed: int | None = None
    trace: dict = field(default_factory=dict)
    centers: np.ndarray | None = None       # K x 2 mode centres
    note: str = ""                          # why the row is empty (diverged, no snapshots)


@dataclass
class HistogramPanel:
    run: str
    dataset: str
    seed: int | None = None
    histogram: list | None = None           # counts per mode, in mode order
    real_histogram: list | None = None      # stacked: the same count on real images (reference)
    two_d: bool = True                      # counts of high-quality points (2-D) or of all samples
    note: str = ""


def _pick_steps(steps: list[int]) -> list[int]:
    if len(steps) <= MAX_SNAPSHOT_COLUMNS:
        return steps
    idx = np.unique(np.linspace(0, len(steps) - 1, MAX_SNAPSHOT_COLUMNS).round().astype(int))
    return [steps[i] for i in idx]


def _limits(rows: list[TraceRow]) -> dict[str, tuple[float, float]]:
    """Square axis limits per dataset: from the mode centres (with a margin), else from the samples."""
    out = {}
    for group in dict.fromkeys(r.group for r in rows):
        centers = [r.centers for r in rows if r.group == group and r.centers is not None and len(r.centers)]
        if centers:
            extent = float(np.abs(np.concatenate(centers)).max())
            half = extent * 1.3 + 0.1
        else:
            points = [np.asarray(t, dtype=float).reshape(-1) for r in rows if r.group == group
                      for t in r.trace.values()]
            values = np.abs(np.concatenate(points)) if points else np.array([])
            values = values[np.isfinite(values)]
            half = float(np.quantile(values, 0.99)) * 1.1 if len(values) else 1.0
            half = half if half > 0 else 1.0
        out[group] = (-half, half)
    return out


def training_scatter(rows: list[TraceRow], path: Path | str, dpi: int) -> Path:
    """A row per 2-D run and a column per snapshot step: the generator's samples at the run's fixed
    snapshot latents (small dots) with the mode centres marked; equal axis limits per dataset.
    Rows without snapshots (every seed diverged, no trace saved) show a note instead."""
    path = Path(path)
    if not rows:
        return placeholder_figure(path, "no run on a 2-D benchmark in this study", dpi)
    shown = {r.run: _pick_steps(sorted(r.trace)) for r in rows}
    cols = max([len(s) for s in shown.values()] + [1])
    limits = _limits(rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(2.0 * cols + 0.4, 2.1 * len(rows) + 0.5), squeeze=False)
    for i, row in enumerate(rows):
        steps = shown[row.run]
        lo, hi = limits[row.group]
        for j in range(cols):
            ax = axes[i, j]
            if j >= len(steps):
                ax.axis("off")
                if not steps and j == 0:
                    ax.text(0.0, 0.5, f"{row.run}: {row.note or 'no training snapshots'}", transform=ax.transAxes,
                            ha="left", va="center", fontsize=8)
                continue
            pts = np.asarray(row.trace[steps[j]], dtype=float).reshape(-1, 2)
            ax.scatter(pts[:, 0], pts[:, 1], s=1.0, alpha=0.5, color="C0", linewidths=0, rasterized=True)
            if row.centers is not None:
                ax.scatter(row.centers[:, 0], row.centers[:, 1], s=18, marker="x", color="C3", linewidths=0.8)
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=6, length=2)
            if j:
                ax.set_yticklabels([])
            ax.set_title(f"{row.run} (seed {row.seed}), step {steps[j]}", fontsize=7)
    fig.suptitle("Generator samples during training at fixed latents (x: mode centres)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi)


def mode_histograms(panels: list[HistogramPanel], path: Path | str, dpi: int) -> Path:
    """A panel per run: generated samples per mode (2-D: high-quality points only) with the uniform
    level; many modes (stacked) are drawn as counts sorted by rank, with the real data's sorted
    counts (rescaled to the same total) for reference."""
    path = Path(path)
    if not panels:
        return placeholder_figure(path, "no run in this study", dpi)
    cols = min(PANEL_COLUMNS, len(panels))
    nrows = -(-len(panels) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.4 * cols, 2.7 * nrows + 0.3), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, p in zip(axes.flat, panels):
        title = f"{p.run}" + (f" (seed {p.seed})" if p.seed is not None else "") + f"\n{p.dataset}"
        ax.set_title(title, fontsize=8)
        if p.histogram is None:
            ax.text(0.5, 0.5, p.note or "no completed seed", ha="center", va="center", transform=ax.transAxes,
                    fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        counts = np.asarray(p.histogram, dtype=float)
        k, total = len(counts), float(counts.sum())
        uniform = total / k if k else 0.0
        ylabel = "high-quality points" if p.two_d else "samples"
        if k > SORTED_ABOVE:
            ranked = np.sort(counts)[::-1]
            ranks = np.arange(1, k + 1)
            ax.fill_between(ranks, ranked, step="mid", color="C0", alpha=0.6, linewidth=0, label="generated")
            if p.real_histogram is not None and sum(p.real_histogram) > 0:
                real = np.sort(np.asarray(p.real_histogram, dtype=float))[::-1]
                real = real * (total / real.sum()) if total > 0 else real
                ax.step(np.arange(1, len(real) + 1), real, where="mid", color="0.3", linewidth=0.8,
                        label="real (rescaled)")
            ax.set_xlabel("mode rank (sorted by count)", fontsize=7)
            ax.set_xlim(0.5, k + 0.5)
        else:
            ax.bar(np.arange(k), counts, width=0.8, color="C0")
            ax.set_xlabel("mode", fontsize=7)
            if k <= 30:
                ax.set_xticks(np.arange(k))
        ax.axhline(uniform, color="C3", linestyle="--", linewidth=1, label="uniform")
        ax.set_title(f"{title}, {int((counts > 0).sum())}/{k} covered", fontsize=8)
        if total == 0:
            ax.text(0.5, 0.5, "no sample on any mode", ha="center", va="center", transform=ax.transAxes, fontsize=8)
        ax.set_ylabel(ylabel, fontsize=7)
        ax.tick_params(labelsize=6)
        if k > SORTED_ABOVE:
            ax.legend(fontsize=6, loc="upper right")
    fig.suptitle("Samples per mode (dashed: uniform level)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi)
