"""Result tables: pandas -> CSV (machine-readable), Markdown and LaTeX (mean ± spread over seeds)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ganpriors.io import read_json, write_text
from ganpriors.report.paper import SINGH2019_CELEBA

MAIN_COLUMNS = [("is", "prior", "IS prior"), ("is", "lambda_0.5", "IS mid-point"),
                ("fid", "prior", "FID prior"), ("fid", "lambda_0.5", "FID mid-point")]


def collect_metrics(runs_dir: Path, runs: list[str], seeds: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long table of every score (run, seed, set, metric, value) and a status table per run/seed."""
    rows, status = [], []
    for run in runs:
        for seed in seeds:
            m = read_json(Path(runs_dir) / run / f"seed{seed}" / "metrics.json", "metrics file")
            status.append({"run": run, "seed": seed, "status": m["status"],
                           "diverged_at_step": (m.get("train") or {}).get("diverged_at_step"),
                           "feature_extractor": m["protocol"]["feature_extractor"]})
            for set_name, values in (m.get("scores") or {}).items():
                for metric, value in values.items():
                    rows.append({"run": run, "seed": seed, "set": set_name, "metric": metric, "value": value})
    return pd.DataFrame(rows, columns=["run", "seed", "set", "metric", "value"]), pd.DataFrame(status)


def _spread(values: pd.Series, kind: str) -> float:
    if len(values) < 2:
        return float("nan")
    std = float(values.std(ddof=1))
    return std / np.sqrt(len(values)) if kind == "sem" else std


def summarise(long: pd.DataFrame, status: pd.DataFrame, runs: list[str], spread: str) -> pd.DataFrame:
    """One row per prior: mean and spread of the paper's four columns, seeds used, and divergences."""
    out = []
    for run in runs:
        row = {"prior": run}
        st = status[status.run == run]
        ok = st[st.status == "completed"]
        row["seeds"] = len(ok)
        row["diverged"] = int((st.status == "diverged").sum())
        for metric, set_name, label in MAIN_COLUMNS:
            vals = long[(long.run == run) & (long.metric == metric) & (long.set == set_name)]["value"]
            row[f"{label} mean"] = float(vals.mean()) if len(vals) else float("nan")
            row[f"{label} {spread}"] = _spread(vals, spread)
        paper = SINGH2019_CELEBA.get(run)
        for (_, _, label), ref in zip(MAIN_COLUMNS, paper or (None,) * 4):
            row[f"paper CelebA {label}"] = ref
        out.append(row)
    return pd.DataFrame(out)


def _fmt(mean: float, spread: float, decimals: int) -> str:
    if np.isnan(mean):
        return "diverged"
    if np.isnan(spread):
        return f"{mean:.{decimals}f}"
    return f"{mean:.{decimals}f} ± {spread:.{decimals}f}"


def display_table(summary: pd.DataFrame, spread: str, decimals: int) -> pd.DataFrame:
    rows = []
    for _, r in summary.iterrows():
        row = {"prior": r["prior"]}
        for _, _, label in MAIN_COLUMNS:
            row[label] = _fmt(r[f"{label} mean"], r[f"{label} {spread}"], decimals)
        row["seeds (diverged)"] = f"{r['seeds']} ({r['diverged']})"
        for _, _, label in MAIN_COLUMNS:
            ref = r[f"paper CelebA {label}"]
            row[f"paper: {label}"] = "" if ref is None or (isinstance(ref, float) and np.isnan(ref)) else f"{ref:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def write_table(df: pd.DataFrame, display: pd.DataFrame, stem: Path, caption: str) -> list[Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".csv"), stem.with_suffix(".md"), stem.with_suffix(".tex")]
    write_text(paths[0], df.to_csv(index=False, float_format="%.6g"))
    write_text(paths[1], f"{caption}\n\n" + display.to_markdown(index=False) + "\n")
    latex = display.to_latex(index=False, caption=caption.replace("±", r"$\pm$"), escape=True)
    write_text(paths[2], latex.replace("±", r"$\pm$"))
    return paths


def prior_kl_table(priors_dir: Path, runs: list[str]) -> tuple[pd.DataFrame, dict]:
    rows, np_summary = [], {}
    for run in runs:
        s = read_json(Path(priors_dir) / run / "prior.json", "prior summary")
        rows.append({"prior": run, "kind": s["spec"]["kind"], "KL(p || p_mid)": s["midpoint_kl"],
                     "std per dimension": s["std"]})
        if "reference_families_on_same_grid" in s:
            np_summary = s
    return pd.DataFrame(rows), np_summary
