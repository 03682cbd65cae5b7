"""The MaEM-GAN study's report (Liu et al., AAAI 2023): the regulariser ablation on Fashion-MNIST.

One row per run of the study (in study order): seeds completed and diverged, mean and spread over
the completed seeds of FID, KID, IS, precision, recall and I-Variance on prior samples, the
I-Variance of the real test split (what a generator as diverse as the data scores), and the
paper's CIFAR-10 numbers of the ablation row the run reproduces (params `paper_rows`), shown for
the shape of the result only: other data, other feature network (Inception).

Also holds the helpers the mode-coverage report shares: reading metrics files of a study and the
long table of their scalar scores.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ganpriors.errors import GanpriorsError  # noqa: E402
from ganpriors.io import read_json, write_text  # noqa: E402
from ganpriors.report import figures, tables  # noqa: E402
from ganpriors.report.paper import (  # noqa: E402
    MAEMGAN2023_CIFAR10_FID,
    MAEMGAN2023_CIFAR10_FID_NOTES,
    MAEMGAN2023_CIFAR10_I_VARIANCE,
)
from ganpriors.report.stylegenes_figures import placeholder_figure  # noqa: E402

DATASET = "Fashion-MNIST"
SCORE_COLUMNS = [("fid", "FID"), ("kid", "KID"), ("is", "IS"), ("precision", "precision"),
                 ("recall", "recall"), ("i_variance", "I-Variance")]
LONG_COLUMNS = ["run", "seed", "set", "metric", "value"]


# ---------------------------------------------------------------------------------------------
# Shared helpers (also used by ganpriors.report.mode_coverage)


def require_dir(dirs, name: str, kind: str) -> Path:
    value = getattr(dirs, name, None)
    if value is None:
        raise GanpriorsError(f"report of a {kind} study needs --{name}-dir")
    return Path(value)


def read_metrics(runs_dir: Path, runs: list[str], seeds: list[int]) -> list[dict]:
    """metrics.json of every run and seed, in study order then seed order (each tagged with run, seed)."""
    records = []
    for run in runs:
        for seed in seeds:
            m = read_json(Path(runs_dir) / run / f"seed{seed}" / "metrics.json", "metrics file")
            records.append({**m, "run": run, "seed": seed})
    return records


def completed(records: list[dict], run: str) -> list[dict]:
    return [r for r in records if r["run"] == run and r.get("status") == "completed" and r.get("scores")]


def diverged_count(records: list[dict], run: str) -> int:
    return sum(1 for r in records if r["run"] == run and r.get("status") == "diverged")


def first_completed_seed(records: list[dict], run: str) -> int | None:
    """The first seed (in params order) whose run completed: the model shown in figures."""
    done = completed(records, run)
    return done[0]["seed"] if done else None


def _scalar(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def long_scores(records: list[dict], extra_sets: tuple[str, ...] = ()) -> pd.DataFrame:
    """(run, seed, set, metric, value) of every scalar score (lists such as histograms are left
    out; a null score is an empty value). `extra_sets`: top-level sections of the metrics file
    with scores of their own (e.g. "reference"), listed as sets of that name."""
    rows = []
    for r in records:
        sections = dict(r.get("scores") or {})
        for name in extra_sets:
            if r.get(name):
                sections[name] = r[name]
        for set_name, values in sections.items():
            for metric, value in (values or {}).items():
                if _scalar(value):
                    rows.append({"run": r["run"], "seed": r["seed"], "set": set_name, "metric": metric,
                                 "value": float("nan") if value is None else value})
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


def mean_spread(values, spread: str) -> tuple[float, float, int]:
    """(mean, spread, count) over the finite values (None and NaN dropped); spread per tables._spread."""
    clean = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not clean:
        return float("nan"), float("nan"), 0
    series = pd.Series(clean, dtype="float64")
    return float(series.mean()), tables._spread(series, spread), len(clean)


def fmt(mean: float, spread: float, decimals: int, empty: str = "n/a") -> str:
    if mean is None or math.isnan(mean):
        return empty
    return tables._fmt(mean, spread, decimals)


def extractors(records: list[dict]) -> str:
    labels = []
    for r in records:
        label = (r.get("protocol") or {}).get("feature_extractor")
        if label and label not in labels:
            labels.append(label)
    return ", ".join(labels) if labels else "unknown"


# ---------------------------------------------------------------------------------------------
# The MaEM-GAN table


def _paper_fid(row: str | None) -> tuple[float, str]:
    if row is None:
        return float("nan"), ""
    value = MAEMGAN2023_CIFAR10_FID.get(row)
    note = MAEMGAN2023_CIFAR10_FID_NOTES.get(row, "")
    return (float("nan") if value is None else float(value)), note


def summarise(records: list[dict], runs: list[str], paper_rows: dict, spread: str) -> pd.DataFrame:
    out = []
    for run in runs:
        done = completed(records, run)
        row = {"run": run, "paper row": paper_rows.get(run, ""),
               "feature extractor": extractors([r for r in records if r["run"] == run]),
               "seeds": len(done), "diverged": diverged_count(records, run)}
        for metric, label in SCORE_COLUMNS:
            mean, sd, _ = mean_spread([(r["scores"].get("prior") or {}).get(metric) for r in done], spread)
            row[f"{label} mean"], row[f"{label} {spread}"] = mean, sd
        # The real test split does not depend on the run: every seed's file may carry it.
        ref, _, _ = mean_spread([(r.get("reference") or {}).get("i_variance") for r in records if r["run"] == run],
                                spread)
        row["real I-Variance"] = ref
        fid, note = _paper_fid(paper_rows.get(run))
        row["paper CIFAR-10 FID"], row["paper CIFAR-10 FID note"] = fid, note
        ivar = MAEMGAN2023_CIFAR10_I_VARIANCE.get(paper_rows.get(run)) if run in paper_rows else None
        row["paper CIFAR-10 I-Variance"] = float("nan") if ivar is None else float(ivar)
        out.append(row)
    return pd.DataFrame(out)


def display_table(summary: pd.DataFrame, spread: str, decimals: int) -> pd.DataFrame:
    rows = []
    for _, r in summary.iterrows():
        none_completed = r["seeds"] == 0
        row = {"run": r["run"], "paper row": r["paper row"], "seeds (diverged)": f"{r['seeds']} ({r['diverged']})"}
        for _, label in SCORE_COLUMNS:
            row[label] = "diverged" if none_completed else fmt(r[f"{label} mean"], r[f"{label} {spread}"], decimals)
        row["I-Variance, real test"] = fmt(r["real I-Variance"], float("nan"), decimals, empty="")
        fid, note = r["paper CIFAR-10 FID"], r["paper CIFAR-10 FID note"]
        row["paper CIFAR-10 FID"] = note if note else ("" if math.isnan(fid) else f"{fid:.2f}")
        ivar = r["paper CIFAR-10 I-Variance"]
        row["paper CIFAR-10 I-Variance"] = "" if math.isnan(ivar) else f"{ivar:.2e}"
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
    return figures._save(fig, path, dpi)


def _sample_figure(records: list[dict], runs: list[str], runs_dir: Path, priors_dir: Path, n: int, path: Path,
                   dpi: int) -> Path:
    from ganpriors.artifacts import TrainedModel

    models = {}
    for run in runs:
        seed = first_completed_seed(records, run)
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
    records = read_metrics(runs_dir, runs, seeds)

    summary = summarise(records, runs, paper_rows, cfg.spread)
    display = display_table(summary, cfg.spread, cfg.decimals)
    extractor = extractors(records)
    caption = (f"MaEM-GAN ablation (study {study_name}), {DATASET}: scores of prior samples, mean ± {cfg.spread} "
               f"over the completed seeds of {seeds} (diverged seeds are counted and left out); features: "
               f"{extractor}. I-Variance = mean over classes of the std over samples of the classifier's softmax "
               "(higher = more diverse); 'real test' = the same on real test images. Paper columns: Liu et al. "
               "(AAAI 2023), DCGAN on CIFAR-10 with Inception features (FID; I-Variance on Inception's 1000-class "
               "softmax): the shape of the result, not values comparable with ours.")
    tables_dir, figures_dir = Path(dirs.tables), Path(dirs.figures)
    written = tables.write_table(summary, display, tables_dir / "maemgan", caption)

    long_path = tables_dir / "all_scores.csv"
    write_text(long_path, long_scores(records, extra_sets=("reference",)).to_csv(index=False, float_format="%.6g"))
    written.append(long_path)

    written.append(_sample_figure(records, runs, runs_dir, priors_dir, cfg.sample_grid,
                                  figures_dir / "samples.png", cfg.dpi))
    written.append(fid_ablation(summary, cfg.spread, extractor, figures_dir / "fid_ablation.png", cfg.dpi))
    return written
