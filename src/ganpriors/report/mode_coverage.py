"""The mode-coverage study's report: modes covered, high-quality share and KL to uniform on the
2-D mixtures (ring, grid) and stacked Fashion-MNIST (VEEGAN / PacGAN / Unrolled GAN protocols).

Rows are grouped by dataset (in order of first appearance in the study). A stacked dataset gets a
reference row: the same classifier-counted coverage of real stacked test images, i.e. what a
perfect generator scores under the imperfect evaluation classifier.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ganpriors.io import read_json, write_text
from ganpriors.report import tables
from ganpriors.report.maemgan import (
    completed,
    diverged_count,
    extractors,
    first_completed_seed,
    fmt,
    long_scores,
    mean_spread,
    read_metrics,
    require_dir,
)
from ganpriors.report.mode_coverage_figures import HistogramPanel, TraceRow, mode_histograms, training_scatter

TWO_D = ("gaussian_ring", "gaussian_grid")
REAL_ROW = "real data (classifier-counted)"
COLUMNS = [("modes_covered", "modes covered"), ("high_quality_share", "high-quality share"),
           ("kl_to_uniform", "KL to uniform")]


def dataset_spec(runs_dir: Path, run: str, seeds: list[int]):
    """The run's dataset spec, from its train.json (what the run was trained on; the report depends
    on the runs' outputs, not on `runs.<run>`); None if no seed's summary records one."""
    from ganpriors.data.specs import parse_dataset

    for seed in seeds:
        path = Path(runs_dir) / run / f"seed{seed}" / "train.json"
        if path.is_file():
            raw = read_json(path, "training summary").get("dataset")
            if raw is not None:
                return parse_dataset(raw)
    return None


def _kind(records: list[dict], run: str, spec) -> str:
    if spec is not None:
        return spec.kind
    for r in records:
        if r["run"] == run and (r.get("protocol") or {}).get("dataset"):
            return r["protocol"]["dataset"]
    return "unknown"


def _n_modes(records: list[dict], run: str, spec) -> int | None:
    for r in completed(records, run):
        n = (r["scores"].get("prior") or {}).get("n_modes")
        if n is not None:
            return int(n)
    return int(spec.n_modes) if spec is not None else None


def _group_runs(runs: list[str], info: dict) -> list[tuple[tuple, list[str]]]:
    """Runs grouped by (dataset kind, number of modes), groups in order of first appearance."""
    groups: dict[tuple, list[str]] = {}
    for run in runs:
        groups.setdefault((info[run]["kind"], info[run]["n_modes"]), []).append(run)
    return list(groups.items())


def _label(kind: str, n_modes) -> str:
    return f"{kind} ({n_modes} modes)" if n_modes is not None else kind


def _stats(row: dict, scores: list[dict], spread: str, two_d: bool) -> dict:
    for metric, label in COLUMNS:
        if metric == "high_quality_share" and not two_d:
            mean, sd, k = float("nan"), float("nan"), 0
        else:
            mean, sd, k = mean_spread([s.get(metric) for s in scores], spread)
        row[f"{label} mean"], row[f"{label} {spread}"] = mean, sd
        if metric == "kl_to_uniform":
            row["KL seeds"] = k
    return row


def summarise(records: list[dict], runs: list[str], info: dict, spread: str) -> pd.DataFrame:
    out = []
    for (kind, n_modes), members in _group_runs(runs, info):
        two_d = kind in TWO_D
        for run in members:
            done = completed(records, run)
            scores = [r["scores"].get("prior") or {} for r in done]
            row = {"dataset": kind, "run": run, "reference": False, "n_modes": n_modes,
                   "samples": scores[0].get("n") if scores else None,
                   "seeds": len(done), "diverged": diverged_count(records, run)}
            out.append(_stats(row, scores, spread, two_d))
        if kind == "stacked":
            # Real stacked test images do not depend on the run: per seed, one value (mean over the
            # runs that scored it), then mean and spread over seeds.
            by_seed: dict[int, list[dict]] = {}
            for run in members:
                for r in completed(records, run):
                    if r["scores"].get("real"):
                        by_seed.setdefault(r["seed"], []).append(r["scores"]["real"])
            if by_seed:
                per_seed = [{m: _mean([s.get(m) for s in reals]) for m in ("n", "modes_covered", "kl_to_uniform")}
                            for reals in by_seed.values()]
                row = {"dataset": kind, "run": REAL_ROW, "reference": True, "n_modes": n_modes,
                       "samples": per_seed[0]["n"], "seeds": len(per_seed), "diverged": 0}
                out.append(_stats(row, per_seed, spread, False))
    return pd.DataFrame(out)


def _mean(values) -> float | None:
    clean = [float(v) for v in values if v is not None]
    return float(np.mean(clean)) if clean else None


def display_table(summary: pd.DataFrame, spread: str, decimals: int) -> pd.DataFrame:
    rows = []
    for _, r in summary.iterrows():
        none_completed = r["seeds"] == 0 and not r["reference"]
        row = {"dataset": r["dataset"], "run": r["run"],
               "modes": "" if pd.isna(r["n_modes"]) else str(int(r["n_modes"])),
               "samples": "" if pd.isna(r["samples"]) else str(int(r["samples"])),
               "seeds (diverged)": str(r["seeds"]) if r["reference"] else f"{r['seeds']} ({r['diverged']})"}
        for metric, label in COLUMNS:
            mean, sd = r[f"{label} mean"], r[f"{label} {spread}"]
            if none_completed:
                row[label] = "diverged"
            elif metric == "high_quality_share" and r["dataset"] not in TWO_D:
                row[label] = ""
            else:
                d = 1 if metric == "modes_covered" else decimals
                text = fmt(mean, sd, d)
                if metric == "kl_to_uniform" and 0 < r["KL seeds"] < r["seeds"]:
                    text += f" ({r['KL seeds']} of {r['seeds']} seeds)"
                row[label] = text
        rows.append(row)
    return pd.DataFrame(rows)


def _caption(study_name: str, records: list[dict], info: dict, runs: list[str], seeds: list[int],
             spread: str) -> str:
    kinds = {info[r]["kind"] for r in runs}
    parts = [f"Mode coverage (study {study_name}): mean ± {spread} over the completed seeds of {seeds} "
             "(diverged seeds are counted and left out)."]
    if kinds & set(TWO_D):
        q = sorted({info[r]["spec"].quality_std for r in runs if info[r]["spec"] is not None and info[r]["kind"] in TWO_D})
        q_text = " or ".join(f"{v:g}" for v in q) if q else "quality_std"
        parts.append(f"2-D mixtures: a generated point is high quality within {q_text} standard deviations of its "
                     "nearest mode centre; modes covered = modes with at least one high-quality point; "
                     "KL(histogram of high-quality points over modes || uniform), over the seeds with one.")
    if "stacked" in kinds:
        stacked = [r for r in records if info[r["run"]]["kind"] == "stacked"]
        n_fake = sorted({(r.get("protocol") or {}).get("n_fake") for r in stacked} - {None})
        parts.append(f"Stacked Fashion-MNIST: each channel of {', '.join(map(str, n_fake)) or 'the'} generated "
                     f"images labelled by the evaluation classifier ({extractors(stacked)}); modes covered = distinct "
                     f"class tuples; KL(tuple histogram || uniform). '{REAL_ROW}': the same count on real stacked "
                     "test images, what a perfect generator scores under this classifier.")
    return " ".join(parts)


def _figures(records, runs, info, runs_dir: Path, figures_dir: Path, dpi: int) -> list[Path]:
    from ganpriors.metrics.mode_coverage import mixture_centers
    from ganpriors.artifacts import load_trace

    trace_rows, panels = [], []
    for (kind, n_modes), members in _group_runs(runs, info):
        label = _label(kind, n_modes)
        for run in members:
            seed = first_completed_seed(records, run)
            spec = info[run]["spec"]
            if seed is None:
                note = "every seed diverged" if diverged_count(records, run) else "no completed seed"
            else:
                note = ""
            if kind in TWO_D:
                centers = mixture_centers(spec).numpy() if spec is not None else None
                row = TraceRow(run, label, seed, centers=centers, note=note)
                if seed is not None:
                    gen_path = runs_dir / run / f"seed{seed}" / "generator.safetensors"
                    row.trace = load_trace(gen_path) if gen_path.is_file() else {}
                    row.note = "" if row.trace else "no training snapshots"
                trace_rows.append(row)
            scores = next((r["scores"] for r in completed(records, run) if r["seed"] == seed), {}) if seed is not None else {}
            prior, real = scores.get("prior") or {}, scores.get("real") or {}
            panels.append(HistogramPanel(run, label, seed, histogram=prior.get("histogram"),
                                         real_histogram=real.get("histogram"), two_d=kind in TWO_D,
                                         note=note or ("" if prior.get("histogram") is not None else "no histogram")))
    return [training_scatter(trace_rows, figures_dir / "training_scatter.png", dpi),
            mode_histograms(panels, figures_dir / "mode_histograms.png", dpi)]


def build_mode_coverage_report(params, study_name: str, study, dirs) -> list[Path]:
    runs_dir = require_dir(dirs, "runs", "mode_coverage")
    runs, seeds, cfg = list(study.runs), list(params.seeds), params.report
    records = read_metrics(runs_dir, runs, seeds)
    info = {}
    for run in runs:
        spec = dataset_spec(runs_dir, run, seeds)
        info[run] = {"spec": spec, "kind": _kind(records, run, spec), "n_modes": _n_modes(records, run, spec)}

    summary = summarise(records, runs, info, cfg.spread)
    display = display_table(summary, cfg.spread, cfg.decimals)
    caption = _caption(study_name, records, info, runs, seeds, cfg.spread)
    tables_dir, figures_dir = Path(dirs.tables), Path(dirs.figures)
    written = tables.write_table(summary, display, tables_dir / "mode_coverage", caption)

    long = long_scores(records)
    long.insert(1, "dataset", [info[r]["kind"] for r in long["run"]])
    long_path = tables_dir / "all_scores.csv"
    write_text(long_path, long.to_csv(index=False, float_format="%.6g"))
    written.append(long_path)

    written += _figures(records, runs, info, runs_dir, figures_dir, cfg.dpi)
    return written

