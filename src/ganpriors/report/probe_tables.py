"""Reading a study's probe files and summarising them over seeds (mean and spread)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ganpriors.io import load_tensors, read_json
from ganpriors.probes.base import Grid
from ganpriors.report.tables import _fmt, _spread

SCORE_COLUMNS = [("fid", "FID"), ("kid", "KID"), ("is", "IS"), ("precision", "precision"), ("recall", "recall")]


def read_probes(probes_dir: Path, runs: list[str], seeds: list[int]) -> list[dict]:
    return [read_json(Path(probes_dir) / run / f"seed{seed}.json", "probe file") for run in runs for seed in seeds]


def read_grids(probes_dir: Path, run: str, seed: int) -> dict[str, Grid]:
    tensors, meta = load_tensors(Path(probes_dir) / run / f"seed{seed}.safetensors", "probe grids")
    return {name: Grid(tensors[name], **meta[name]) for name in tensors}


def first_completed_seed(probes: list[dict], run: str) -> int | None:
    seeds = [p["seed"] for p in probes if p["run"] == run and p["status"] == "completed"]
    return min(seeds) if seeds else None


def long_scores(probes: list[dict]) -> pd.DataFrame:
    """(run, seed, set, metric, value) for every evaluation score the probes carry."""
    rows = [{"run": p["run"], "seed": p["seed"], "set": set_name, "metric": metric, "value": value}
            for p in probes for set_name, values in (p.get("scores") or {}).items() for metric, value in values.items()]
    return pd.DataFrame(rows, columns=["run", "seed", "set", "metric", "value"])


def summarise(per_seed: pd.DataFrame, runs: list[str], columns: list[str], spread: str) -> pd.DataFrame:
    """per_seed: one row per (run, seed) of completed runs with numeric `columns` ->
    one row per run with '<col> mean' and '<col> <spread>'."""
    out = []
    for run in runs:
        rows = per_seed[per_seed.run == run]
        row = {"run": run, "seeds": len(rows)}
        for col in columns:
            vals = rows[col].dropna().astype(float) if col in rows else pd.Series(dtype=float)
            row[f"{col} mean"] = float(vals.mean()) if len(vals) else float("nan")
            row[f"{col} {spread}"] = _spread(vals, spread)
        out.append(row)
    return pd.DataFrame(out)


def display(summary: pd.DataFrame, columns: list[tuple[str, str]], spread: str, decimals: int,
            first: list[str] = ()) -> pd.DataFrame:
    """Human-readable table: 'mean ± spread' per column (label), 'diverged' for runs without seeds."""
    rows = []
    for _, r in summary.iterrows():
        row = {k: r[k] for k in ["run", *first]}
        for col, label in columns:
            mean = r[f"{col} mean"]
            # no completed seed: the run diverged; a completed run without the value: undefined
            row[label] = "diverged" if r["seeds"] == 0 else ("n/a" if np.isnan(mean) else
                                                             _fmt(mean, r[f"{col} {spread}"], decimals))
        row["seeds"] = int(r["seeds"])
        rows.append(row)
    return pd.DataFrame(rows)


def scores_per_seed(probes: list[dict]) -> pd.DataFrame:
    """One row per completed (run, seed): the prior-sample scores."""
    rows = []
    for p in probes:
        if p["status"] != "completed":
            continue
        row = {"run": p["run"], "seed": p["seed"]}
        row.update({metric: p["scores"]["prior"][metric] for metric, _ in SCORE_COLUMNS})
        rows.append(row)
    return pd.DataFrame(rows, columns=["run", "seed"] + [m for m, _ in SCORE_COLUMNS])

