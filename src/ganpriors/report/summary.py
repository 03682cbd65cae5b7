"""The summarise stage: a study's headline numbers as DVC metrics and its curves as DVC plots.

It reads only the study's committed tables (results/tables/<study>/*.csv), so the metrics and plot
data of every committed study can be regenerated without its runs, and an experiment
(`dvc exp run -S ...`) gets them as soon as its report is rewritten. Metrics: for each row of the
study's summary table (one run), every "<measure> mean" / "<measure> std" column pair, named in
snake case (`FID mid-point mean` -> `fid_mid_point`), with the number of seeds and diverged runs.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from ganpriors.errors import GanpriorsError
from ganpriors.io import write_json
from ganpriors.report.common import write_csv

SPREAD_SUFFIXES = {" mean": "mean", " std": "std"}
COUNTS = ("seeds", "diverged")


def metric_name(column: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")


def _number(value):
    if isinstance(value, bool) or value is None:
        return value
    value = float(value)
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def summary_metrics(table: pd.DataFrame, key: tuple[str, ...]) -> dict:
    """{row: {measure: {"mean": m, "std": s}, "seeds": n, ...}}; a missing value (NaN) is left out."""
    missing = [k for k in key if k not in table.columns]
    if missing:
        raise GanpriorsError(f"summary table has no column {missing[0]!r} (columns: {', '.join(table.columns)})")
    out = {}
    for _, row in table.iterrows():
        entry = {}
        for column in table.columns:
            for suffix, stat in SPREAD_SUFFIXES.items():
                if column.endswith(suffix) and (value := _number(row[column])) is not None:
                    entry.setdefault(metric_name(column[: -len(suffix)]), {})[stat] = value
            if column in COUNTS and (value := _number(row[column])) is not None:
                entry[column] = value
        out["/".join(str(row[k]) for k in key)] = entry
    return out


def fid_vs_lambda(tables_dir: Path, study, study_name: str) -> pd.DataFrame:
    """FID against the interpolation weight, mean over seeds, one column per run (lambda 0 is the
    prior's own samples, set "prior"), from the study's all_scores.csv."""
    scores = read_table(tables_dir / "all_scores.csv")
    fid = scores[scores["metric"] == "fid"].copy()
    fid["lambda"] = fid["set"].map(lambda s: 0.0 if s == "prior" else
                                   float(s.removeprefix("lambda_")) if s.startswith("lambda_") else math.nan)
    fid = fid.dropna(subset=["lambda"])
    wide = fid.groupby(["lambda", "run"])["value"].mean().unstack("run")
    runs = [r for r in study.runs if r in wide.columns]
    return wide[runs].reset_index().sort_values("lambda")


def read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise GanpriorsError(f"{path}: missing; run the study's report stage first")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise GanpriorsError(f"{path}: not a readable CSV table ({exc}); rerun the study's report stage") from exc


def write_summary(params, study_name: str, tables_dir: Path, metrics_path: Path, plots_dir: Path) -> list[Path]:
    import importlib

    if study_name not in params.studies:
        raise GanpriorsError(f"params.yaml: no study '{study_name}' (studies are {', '.join(params.studies)})")
    study = params.studies[study_name]
    table = read_table(tables_dir / study.summary_table)
    metrics = {"study": study_name, "kind": study.kind, "runs": summary_metrics(table, study.summary_key)}
    write_json(metrics_path, metrics)
    written = [metrics_path]
    for plot in study.plot_data():
        path = plots_dir / f"{plot.name}.csv"
        module, attr = plot.impl.split(":")
        write_csv(path, getattr(importlib.import_module(module), attr)(tables_dir, study, study_name))
        written.append(path)
    return written
