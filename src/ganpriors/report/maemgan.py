"""The MaEM-GAN study's report (Liu et al., AAAI 2023): the regulariser ablation on Fashion-MNIST.

One row per run of the study (in study order): seeds completed and diverged, mean and spread over
the completed seeds of FID, KID, IS, precision, recall and I-Variance on prior samples, the
I-Variance of the real test split (what a generator as diverse as the data scores), and the
paper's CIFAR-10 numbers of the ablation row the run reproduces (params `paper_rows`), shown for
the shape of the result only: other data, other feature network (Inception).
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ganpriors.report import figures  # noqa: E402
from ganpriors.report.common import (  # noqa: E402
    format_cell,
    format_mean,
    placeholder_figure,
    require_dir,
    save_figure,
    write_csv,
    write_table,
)
from ganpriors.report.paper import (  # noqa: E402
    MAEMGAN2023_CIFAR10_FID,
    MAEMGAN2023_CIFAR10_FID_NOTES,
    MAEMGAN2023_CIFAR10_I_VARIANCE,
)
from ganpriors.report.results import (  # noqa: E402
    REFERENCE,
    SCORES,
    Results,
    mean_columns,
    pivot,
    read_runs,
    seed_counts,
    summarise,
)

DATASET = "Fashion-MNIST"
COLUMNS = [("prior", metric, label) for metric, label in SCORES]  # (set, metric, label)
PAPER = "paper CIFAR-10"


# ---------------------------------------------------------------------------------------------
# The MaEM-GAN table


def paper_frame(runs: list[str], paper_rows: dict) -> pd.DataFrame:
    """The paper's FID (with its note, e.g. '> 100') and I-Variance of the ablation row each run
    reproduces, as (run, set, metric, paper, paper_note); NaN where the paper gives no number."""
    rows = []
    for run in runs:
        row = paper_rows.get(run)
        fid = MAEMGAN2023_CIFAR10_FID.get(row) if row is not None else None
        ivar = MAEMGAN2023_CIFAR10_I_VARIANCE.get(row) if run in paper_rows else None
        rows.append({"run": run, "set": "prior", "metric": "fid", "paper": float("nan") if fid is None else float(fid),
                     "paper_note": MAEMGAN2023_CIFAR10_FID_NOTES.get(row, "") if row is not None else ""})
        rows.append({"run": run, "set": "prior", "metric": "i_variance",
                     "paper": float("nan") if ivar is None else float(ivar), "paper_note": ""})
    return pd.DataFrame(rows, columns=["run", "set", "metric", "paper", "paper_note"])


def summary_table(results: Results, paper_rows: dict, spread: str) -> pd.DataFrame:
    runs = results.runs
    summary = summarise(results.frame, spread, paper_frame(runs, paper_rows))
    # The real test split does not depend on the run: every seed's file may carry it.
    real = pivot(summary, runs, [(REFERENCE, "i_variance", "real I-Variance")], {"mean": "{}"})
    return pd.concat([
        pd.DataFrame({"run": runs, "paper row": [paper_rows.get(r, "") for r in runs],
                      "feature extractor": [results.extractors([r]) for r in runs]}),
        seed_counts(results, runs), mean_columns(summary, runs, COLUMNS, spread), real,
        pivot(summary, runs, [("prior", "fid", "FID")], {"paper": f"{PAPER} {{}}", "paper_note": f"{PAPER} {{}} note"}),
        pivot(summary, runs, [("prior", "i_variance", "I-Variance")], {"paper": f"{PAPER} {{}}"}),
    ], axis=1)


def display_table(summary: pd.DataFrame, spread: str, decimals: int) -> pd.DataFrame:
    rows = []
    for _, r in summary.iterrows():
        row = {"run": r["run"], "paper row": r["paper row"], "seeds (diverged)": f"{r['seeds']} ({r['diverged']})"}
        for _, _, label in COLUMNS:
            row[label] = format_cell(r[f"{label} mean"], r[f"{label} {spread}"], decimals, r["seeds"])
        row["I-Variance, real test"] = format_mean(r["real I-Variance"], float("nan"), decimals, empty="")
        fid, note = r[f"{PAPER} FID"], r[f"{PAPER} FID note"]
        row[f"{PAPER} FID"] = note if note else ("" if math.isnan(fid) else f"{fid:.2f}")
        ivar = r[f"{PAPER} I-Variance"]
        row[f"{PAPER} I-Variance"] = "" if math.isnan(ivar) else f"{ivar:.2e}"
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Figures


def fid_ablation(summary: pd.DataFrame, spread: str, extractor: str, path: Path, dpi: int) -> Path:
    """A bar per run (mean FID over completed seeds, error bar = spread); runs with no completed seed
    are marked 'diverged' at the foot of their slot."""
    n = len(summary)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * n + 1.5), 3.8))
    xs = list(range(n))
    means = summary["FID mean"].to_numpy(dtype=float)
    errs = summary[f"FID {spread}"].fillna(0.0).to_numpy(dtype=float)
    ax.bar(xs, [0.0 if math.isnan(m) else m for m in means], yerr=errs, capsize=4, color="C0",
           error_kw={"elinewidth": 1})
    top = max([m + e for m, e in zip(means, errs) if not math.isnan(m)], default=1.0)
    for x, (_, r) in zip(xs, summary.iterrows()):
        if r["seeds"] == 0:
            ax.text(x, 0.02 * top, "diverged", ha="center", va="bottom", rotation=90, fontsize=8, color="C3")
        elif not math.isnan(r["FID mean"]):
            ax.text(x, r["FID mean"] + (0.0 if math.isnan(r[f"FID {spread}"]) else r[f"FID {spread}"]) + 0.01 * top,
                    f"{r['FID mean']:.1f}", ha="center", va="bottom", fontsize=7)
    labels = [f"{r['run']}\n({r['paper row']})" if r["paper row"] else r["run"] for _, r in summary.iterrows()]
    ax.set_xticks(xs, labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"FID ({extractor})")
    ax.set_ylim(0, top * 1.15)
    ax.set_title(f"MaEM-GAN ablation, {DATASET}: FID of prior samples, mean ± {spread} over seeds", fontsize=9)
    return save_figure(fig, path, dpi)


def _sample_figure(results: Results, runs: list[str], runs_dir: Path, priors_dir: Path, n: int, path: Path,
                   dpi: int) -> Path:
    from ganpriors.artifacts import TrainedModel

    models = {}
    for run in runs:
        seed = results.first_completed_seed(run)
        if seed is None:
            continue
        models[f"{run} (seed {seed})"] = TrainedModel.load(runs_dir / run / f"seed{seed}" / "generator.safetensors",
                                                           priors_dir / run / "prior.safetensors", "cpu")
    if not models:
        return placeholder_figure(path, "no run has a completed seed", dpi)
    return figures.sample_grids(models, n, path, dpi)


# ---------------------------------------------------------------------------------------------


def build_maemgan_report(params, study_name: str, study, dirs) -> list[Path]:
    runs_dir = require_dir(dirs, "runs", "maemgan")
    priors_dir = require_dir(dirs, "priors", "maemgan")
    runs, seeds, cfg = list(study.runs), list(params.seeds), params.report
    paper_rows = dict(getattr(study, "paper_rows", {}) or {})
    results = read_runs(runs_dir, runs, seeds)

    summary = summary_table(results, paper_rows, cfg.spread)
    display = display_table(summary, cfg.spread, cfg.decimals)
    extractor = results.extractors()
    caption = (f"MaEM-GAN ablation (study {study_name}), {DATASET}: scores of prior samples, mean ± {cfg.spread} "
               f"over the completed seeds of {seeds} (diverged seeds are counted and left out); features: "
               f"{extractor}. I-Variance = mean over classes of the std over samples of the classifier's softmax "
               "(higher = more diverse); 'real test' = the same on real test images. Paper columns: Liu et al. "
               "(AAAI 2023), DCGAN on CIFAR-10 with Inception features (FID; I-Variance on Inception's 1000-class "
               "softmax): the shape of the result, not values comparable with ours.")
    tables_dir, figures_dir = Path(dirs.tables), Path(dirs.figures)
    written = write_table(summary, display, tables_dir / "maemgan", caption)
    written.append(write_csv(tables_dir / "all_scores.csv", results.scores(with_reference=True)))

    written.append(_sample_figure(results, runs, runs_dir, priors_dir, cfg.sample_grid,
                                  figures_dir / "samples.png", cfg.dpi))
    written.append(fid_ablation(summary, cfg.spread, extractor, figures_dir / "fid_ablation.png", cfg.dpi))
    return written
