"""The survey study's report: the systems in the layout of the benchmark frameworks, each system's
own experiment, the latent-prior question across architectures, BigGAN's truncation curve and
IC-GAN's held-out instances, from the probe files alone.

Tables (mean ± spread over the completed seeds; features: the evaluation extractor the files name):
- survey: one row per system (params `systems`), then one per other run of the study (the
  variants of the systems' own experiments, without a system name): conditioning, loss, IS, FID,
  KID, precision, recall on prior samples, intra-FID (class-conditional systems), parameters of G
  and D, training steps; beside them the CIFAR-10 numbers of the paper, StudioGAN and Mimicry
  (params `references`; ganpriors.report.paper.SURVEY_CIFAR10), other data and protocols.
- ablations: per experiment (params `ablations`), its runs' scores and FID minus the first run's.
- latent_priors: per architecture and prior, FID on prior samples and on mid-points and the gap.
- truncation: per truncated run and threshold, IS, FID, KID, precision and recall.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import torch
from matplotlib.figure import Figure

from ganpriors.probes.base import Grid
from ganpriors.report import probe_tables as pt
from ganpriors.report.common import (
    format_cell,
    grid_figure,
    mean_spread,
    placeholder_figure,
    save_figure,
    write_csv,
    write_table,
)
from ganpriors.report.paper import SURVEY_CIFAR10, SURVEY_CIFAR10_SOURCES
from ganpriors.report.results import Results, lookup, mean_columns, read_probes, seed_counts, summarise

DATASET = "Fashion-MNIST"
# (set, metric, name, label) of the survey and ablation tables
SCORE_COLUMNS = pt.SCORE_COLUMNS + [("probe", "intra_fid.mean", "intra_fid", "intra-FID")]
TRUNCATION_METRICS = ("fid", "is", "kid", "precision", "recall")
MIDPOINT = "lambda_0.5"


def _first(results: Results, run: str, *keys):
    """A value of the probe numbers of the run's first completed seed (None when absent)."""
    done = results.completed(run)
    value = done[0].get("probe") if done else None
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def survey_table(results: Results, summary: pd.DataFrame, study, params, spread: str) -> pd.DataFrame:
    runs = list(study.systems) + [r for r in study.runs if r not in study.systems]  # the systems, then variants
    rows = []
    for run in runs:
        resolved = params.resolve_run(run)
        rows.append({"run": run, "system": study.systems.get(run, ""),
                     "conditioning": _first(results, run, "conditioning") or "",
                     "loss": resolved.train.loss, "steps": resolved.train.steps,
                     "G parameters": _first(results, run, "parameters", "g"),
                     "D parameters": _first(results, run, "parameters", "d")})
    table = pd.concat([pd.DataFrame(rows), seed_counts(results, runs),
                       mean_columns(summary, runs, [c[:3] for c in SCORE_COLUMNS], spread)], axis=1)
    for source in SURVEY_CIFAR10_SOURCES:
        for i, label in enumerate(("IS", "FID", "intra-FID")):
            table[f"CIFAR-10 {source} {label}"] = [
                _reference(study.references.get(run), source, i) for run in runs]
    return table


def _reference(row: str | None, source: str, i: int) -> float:
    value = SURVEY_CIFAR10.get(row, {}).get(source, (None, None, None))[i] if row else None
    return float("nan") if value is None else float(value)


def _display(table: pd.DataFrame, spread: str, decimals: int, first: list[str], extra=None) -> pd.DataFrame:
    rows = []
    for _, r in table.iterrows():
        row = {k: r[k] for k in first}
        for _, _, name, label in SCORE_COLUMNS:
            row[label] = format_cell(r[f"{name} mean"], r[f"{name} {spread}"], decimals, r["seeds"], empty="")
        row["seeds (diverged)"] = f"{r['seeds']} ({r['diverged']})"
        if extra:
            row.update(extra(r))
        rows.append(row)
    return pd.DataFrame(rows)


def _survey_extra(r) -> dict:
    out = {"G / D parameters": "" if r["G parameters"] is None or pd.isna(r["G parameters"])
           else f"{int(r['G parameters']):,} / {int(r['D parameters']):,}"}
    for source in SURVEY_CIFAR10_SOURCES:
        values = [r[f"CIFAR-10 {source} {label}"] for label in ("IS", "FID", "intra-FID")]
        out[f"CIFAR-10 {source} IS / FID / iFID"] = " / ".join("-" if math.isnan(v) else f"{v:g}" for v in values) \
            if any(not math.isnan(v) for v in values) else ""
    return out


def ablation_table(results: Results, summary: pd.DataFrame, study, spread: str) -> pd.DataFrame:
    frames = []
    for name, runs in study.ablations.items():
        part = pd.concat([pd.DataFrame({"ablation": name, "run": runs,
                                        "system": [study.systems.get(r, "") for r in runs]}),
                          seed_counts(results, runs),
                          mean_columns(summary, runs, [c[:3] for c in SCORE_COLUMNS], spread)], axis=1)
        part["FID - first run"] = part["fid mean"] - part["fid mean"].iloc[0]
        frames.append(part)
    columns = ["ablation", "run", "system", "seeds", "diverged"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def latent_prior_table(results: Results, summary: pd.DataFrame, study, spread: str) -> pd.DataFrame:
    """Per architecture and prior: FID of prior samples and of mid-points (lambda 0.5), mean and
    spread over seeds, and the gap mid-point - prior (mean of the per-seed gaps)."""
    found = lookup(summary)
    frame = results.frame[(results.frame.metric == "fid") & (results.frame.status == "completed")]
    rows = []
    for arch, priors in study.latent_priors.items():
        for label, run in priors.items():
            prior, mid = found.get((run, "prior", "fid"), {}), found.get((run, MIDPOINT, "fid"), {})
            per_seed = frame[frame.run == run].pivot_table(index="seed", columns="set", values="value")
            gaps = (per_seed[MIDPOINT] - per_seed["prior"]).dropna() if MIDPOINT in per_seed else pd.Series([])
            gap, gap_spread, _ = mean_spread(gaps, spread)
            rows.append({"architecture": arch, "prior": label, "run": run,
                         "seeds": len(results.completed(run)),
                         "FID prior mean": prior.get("mean", float("nan")),
                         f"FID prior {spread}": prior.get("spread", float("nan")),
                         "FID mid-point mean": mid.get("mean", float("nan")),
                         f"FID mid-point {spread}": mid.get("spread", float("nan")),
                         "gap mean": gap, f"gap {spread}": gap_spread})
    return pd.DataFrame(rows, columns=["architecture", "prior", "run", "seeds", "FID prior mean",
                                       f"FID prior {spread}", "FID mid-point mean", f"FID mid-point {spread}",
                                       "gap mean", f"gap {spread}"])


def truncation_table(results: Results, study, spread: str) -> pd.DataFrame:
    """(run, threshold, <metric> mean, <metric> spread) over the completed seeds."""
    rows = []
    for run in study.probe.truncation.runs:
        for threshold in study.probe.truncation.thresholds:
            row = {"run": run, "threshold": threshold}
            for metric in TRUNCATION_METRICS:
                values = [r["probe"]["truncation"][f"{threshold:g}"][metric] for r in results.completed(run)]
                row[f"{metric} mean"], row[f"{metric} {spread}"], row["seeds"] = mean_spread(values, spread)
            rows.append(row)
    columns = ["run", "threshold", "seeds"] + [f"{m} {k}" for m in TRUNCATION_METRICS for k in ("mean", spread)]
    return pd.DataFrame(rows, columns=columns)


def truncation_plot(tables_dir: Path, study, study_name: str) -> pd.DataFrame:
    """DVC plot data: FID against the threshold, one column per truncated run."""
    table = pd.read_csv(Path(tables_dir) / "truncation.csv")
    wide = table.pivot_table(index="threshold", columns="run", values="fid mean").reset_index()
    wide.columns.name = None
    return wide


# ---------------------------------------------------------------------------------------------
# Figures


def truncation_figure(table: pd.DataFrame, spread: str, extractor: str, path: Path, dpi: int) -> Path:
    if table.empty or table["fid mean"].isna().all():
        return placeholder_figure(path, "no truncated run has a completed seed", dpi)
    fig = Figure(figsize=(8.0, 3.4))
    axes = fig.subplots(1, 2)
    for ax, metric, label in zip(axes, ("fid", "is"), ("FID", "IS")):
        for run, part in table.groupby("run", sort=False):
            ax.errorbar(part["threshold"], part[f"{metric} mean"], yerr=part[f"{metric} {spread}"].fillna(0.0),
                        marker="o", capsize=3, label=run)
        ax.set_xlabel("truncation threshold (|z_i| > t resampled)")
        ax.set_ylabel(f"{label} ({extractor.split(' (')[0]})")
        ax.legend(fontsize=7)
    fig.suptitle(f"BigGAN's truncation trick, {DATASET}: mean ± {spread} over seeds", fontsize=9)
    return save_figure(fig, path, dpi)


def samples_figure(results: Results, runs: list[str], probes_dir: Path, systems: dict, path: Path,
                   dpi: int) -> Path:
    rows, labels = [], []
    for run in runs:
        seed = results.first_completed_seed(run)
        grids = pt.read_grids(probes_dir, run, seed) if seed is not None else {}
        if "samples" in grids:
            rows.append(grids["samples"].images)
            labels.append(f"{systems.get(run, run)} (s{seed})")
    if not rows:
        return placeholder_figure(path, "no run has a completed seed", dpi)
    cols = min(len(r) for r in rows)
    grid = Grid(torch.cat([r[:cols] for r in rows]), rows=len(rows), cols=cols, row_labels=labels)
    return grid_figure(grid, f"Samples of each system, {DATASET} (class-conditional: classes 0, 1, 2, ...)", path,
                       dpi)


def held_out_figure(results: Results, runs: list[str], probes_dir: Path, path: Path, dpi: int) -> Path:
    for run in runs:
        seed = results.first_completed_seed(run)
        grids = pt.read_grids(probes_dir, run, seed) if seed is not None else {}
        if "held_out_instances" in grids:
            return grid_figure(grids["held_out_instances"],
                               f"{run} (seed {seed}): samples around held-out test images (first column)", path, dpi)
    return placeholder_figure(path, "no instance-conditional run has a completed seed", dpi)


# ---------------------------------------------------------------------------------------------


def build_survey_report(params, study_name: str, study, dirs) -> list[Path]:
    runs, seeds, cfg = list(study.runs), list(params.seeds), params.report
    results = read_probes(dirs.probes, runs, seeds)
    extractor = results.extractors()
    tables_dir, figures_dir = Path(dirs.tables), Path(dirs.figures)
    spread, decimals = cfg.spread, cfg.decimals
    protocol = (f"mean ± {spread} over the completed seeds of {seeds}; features: {extractor}")

    summary = summarise(results.frame, spread)  # (run, set, metric) -> mean, spread: every table reads it
    survey = survey_table(results, summary, study, params, spread)
    display = _display(survey, spread, decimals, ["system", "run", "conditioning", "loss", "steps"], _survey_extra)
    caption = (f"The survey systems on {DATASET} (study {study_name}): scores of prior samples, {protocol}; "
               "intra-FID = mean over the 10 classes of the FID between samples of class k and the test images of "
               "class k (class-conditional systems). CIFAR-10 columns: reference values of the papers, StudioGAN and "
               "Mimicry under their own protocols (" + "; ".join(f"{k}: {v}" for k, v in SURVEY_CIFAR10_SOURCES.items())
               + "): other data and feature network, shown for orderings, not values.")
    written = write_table(survey, display, tables_dir / "survey", caption)

    ablations = ablation_table(results, summary, study, spread)
    ab_display = _display(ablations, spread, decimals, ["ablation", "run", "system"],
                          lambda r: {"FID - first run": "" if pd.isna(r["FID - first run"])
                                     else f"{r['FID - first run']:+.{decimals}f}"}) \
        if len(ablations) else ablations
    written += write_table(ablations, ab_display, tables_dir / "ablations",
                           f"Each system's own experiment on {DATASET}: the published system first, then its "
                           f"variants; {protocol}. 'FID - first run' compares each variant's mean with the "
                           "system's.")

    priors = latent_prior_table(results, summary, study, spread)
    pr_display = pd.DataFrame([{
        "architecture": r["architecture"], "prior": r["prior"], "run": r["run"], "seeds": r["seeds"],
        "FID prior": format_cell(r["FID prior mean"], r[f"FID prior {spread}"], decimals, r["seeds"], empty=""),
        "FID mid-point": format_cell(r["FID mid-point mean"], r[f"FID mid-point {spread}"], decimals, r["seeds"],
                                     empty=""),
        "mid-point - prior": format_cell(r["gap mean"], r[f"gap {spread}"], decimals, r["seeds"], empty="")}
        for _, r in priors.iterrows()])
    written += write_table(priors, pr_display, tables_dir / "latent_priors",
                           f"The latent-prior question across architectures, {DATASET}: FID of prior samples and of "
                           "mid-points G((z1 + z2) / 2) of the Normal and the non-parametric prior (Singh et al.'s "
                           f"measure) on the survey's nets; gap = mean over seeds of the per-seed difference; "
                           f"{protocol}.")

    truncation = truncation_table(results, study, spread)
    written.append(write_csv(tables_dir / "truncation.csv", truncation))
    written.append(write_csv(tables_dir / "all_scores.csv", results.scores()))

    written.append(samples_figure(results, list(study.systems) or runs, dirs.probes, study.systems,
                                  figures_dir / "samples.png", cfg.dpi))
    written.append(truncation_figure(truncation, spread, extractor, figures_dir / "truncation.png", cfg.dpi))
    written.append(held_out_figure(results, runs, dirs.probes, figures_dir / "held_out_instances.png", cfg.dpi))
    return written
