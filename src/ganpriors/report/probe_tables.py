"""The tables of the studies with a probe (StyleGenes, NEMGAN): one row per run, mean and spread
over the completed seeds of chosen numbers of the results frame (evaluation scores and probe
numbers); and reading a probe's image grids."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ganpriors.io import load_tensors
from ganpriors.probes.base import Grid
from ganpriors.report.common import format_cell
from ganpriors.report.results import IMAGE_SCORES, Results, mean_columns, seed_counts, summarise

# A column of a probe study's table: (set, metric, name, label); the CSV names it '<name> mean'
# and '<name> <spread>', the Markdown and LaTeX tables `label`.
SCORE_COLUMNS = [("prior", metric, metric, label) for metric, label in IMAGE_SCORES]


def read_grids(probes_dir: Path, run: str, seed: int) -> dict[str, Grid]:
    tensors, meta = load_tensors(Path(probes_dir) / run / f"seed{seed}.safetensors", "probe grids")
    return {name: Grid(tensors[name], **meta[name]) for name in tensors}


def summary_table(results: Results, columns: list[tuple[str, str, str, str]], spread: str) -> pd.DataFrame:
    """One row per run: 'run', 'seeds' (completed), '<name> mean' and '<name> <spread>' per column."""
    runs = results.runs
    summary = summarise(results.frame, spread)
    return pd.concat([pd.DataFrame({"run": runs}), seed_counts(results, runs)[["seeds"]],
                      mean_columns(summary, runs, [c[:3] for c in columns], spread)], axis=1)


def display(summary: pd.DataFrame, columns: list[tuple[str, str, str, str]], spread: str, decimals: int,
            first: list[str] = ()) -> pd.DataFrame:
    """Human-readable table: 'mean ± spread' per column (label), 'diverged' for runs without a
    completed seed, 'n/a' for a completed run without the value."""
    rows = []
    for _, r in summary.iterrows():
        row = {k: r[k] for k in ["run", *first]}
        for _, _, name, label in columns:
            row[label] = format_cell(r[f"{name} mean"], r[f"{name} {spread}"], decimals, r["seeds"])
        row["seeds"] = int(r["seeds"])
        rows.append(row)
    return pd.DataFrame(rows)
