"""Tables of the prior-vs-mid-point study (Singh et al.): IS and FID of prior samples and of
mid-points per prior, beside the paper's CelebA numbers; the KL of each prior to its mid-point
distribution."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ganpriors.io import read_json
from ganpriors.report.common import format_cell, missing
from ganpriors.report.paper import SINGH2019_CELEBA
from ganpriors.report.results import Results, mean_columns, pivot, seed_counts, summarise

# (set, metric, label), in the order of the paper's Table 1
MAIN_COLUMNS = [("prior", "is", "IS prior"), ("lambda_0.5", "is", "IS mid-point"),
                ("prior", "fid", "FID prior"), ("lambda_0.5", "fid", "FID mid-point")]
PAPER = "paper CelebA"


def paper_frame(runs: list[str]) -> pd.DataFrame:
    """The paper's numbers of the runs named like its priors, as (run, set, metric, paper)."""
    rows = [{"run": run, "set": set_name, "metric": metric, "paper": ref}
            for run in runs if run in SINGH2019_CELEBA
            for (set_name, metric, _), ref in zip(MAIN_COLUMNS, SINGH2019_CELEBA[run])]
    return pd.DataFrame(rows, columns=["run", "set", "metric", "paper"])


def summary_table(results: Results, spread: str) -> pd.DataFrame:
    """One row per prior: completed and diverged seeds, mean and spread of the four columns, the
    paper's numbers."""
    runs = results.runs
    summary = summarise(results.frame, spread, paper_frame(runs))
    return pd.concat([pd.DataFrame({"prior": runs}), seed_counts(results, runs),
                      mean_columns(summary, runs, MAIN_COLUMNS, spread),
                      pivot(summary, runs, MAIN_COLUMNS, {"paper": f"{PAPER} {{}}"})], axis=1)


def display_table(summary: pd.DataFrame, spread: str, decimals: int) -> pd.DataFrame:
    rows = []
    for _, r in summary.iterrows():
        row = {"prior": r["prior"]}
        for _, _, label in MAIN_COLUMNS:
            row[label] = format_cell(r[f"{label} mean"], r[f"{label} {spread}"], decimals, r["seeds"])
        row["seeds (diverged)"] = f"{r['seeds']} ({r['diverged']})"
        for _, _, label in MAIN_COLUMNS:
            ref = r[f"{PAPER} {label}"]
            row[f"paper: {label}"] = "" if missing(ref) else f"{ref:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def prior_kl_table(priors_dir: Path, runs: list[str]) -> tuple[pd.DataFrame, dict]:
    rows, np_summary = [], {}
    for run in runs:
        s = read_json(Path(priors_dir) / run / "prior.json", "prior summary")
        rows.append({"prior": run, "kind": s["spec"]["kind"], "KL(p || p_mid)": s["midpoint_kl"],
                     "std per dimension": s["std"]})
        if "reference_families_on_same_grid" in s:
            np_summary = s
    return pd.DataFrame(rows), np_summary
