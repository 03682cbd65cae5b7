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

from ganpriors.io import read_json
from ganpriors.report.common import format_mean, mean_spread, require_dir, write_csv, write_table
from ganpriors.report.mode_coverage_figures import HistogramPanel, TraceRow, mode_histograms, training_scatter
from ganpriors.report.results import COMPLETED, Results, lookup, read_runs, summarise

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


def _kind(results: Results, run: str, spec) -> str:
    if spec is not None:
        return spec.kind
    for r in results.of(run):
        if (r.get("protocol") or {}).get("dataset"):
            return r["protocol"]["dataset"]
    return "unknown"


def _n_modes(results: Results, run: str, spec) -> int | None:
    for r in results.completed(run):
        n = ((r.get("scores") or {}).get("prior") or {}).get("n_modes")
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


def _stats(row: dict, stats: dict, spread: str, two_d: bool) -> dict:
    """stats: metric -> (mean, spread, count) over seeds."""
    for metric, label in COLUMNS:
        if metric == "high_quality_share" and not two_d:
            mean, sd, k = float("nan"), float("nan"), 0
        else:
            mean, sd, k = stats.get(metric, (float("nan"), float("nan"), 0))
        row[f"{label} mean"], row[f"{label} {spread}"] = mean, sd
        if metric == "kl_to_uniform":
            row["KL seeds"] = k
    return row


def _real_per_seed(frame, members: list[str]) -> list[dict]:
    """Real stacked test images do not depend on the run: per seed (in order of appearance), one
    value of each of their scores, the mean over the runs that scored it."""
    real = frame[(frame["set"] == "real") & (frame["status"] == COMPLETED) & frame["run"].isin(members)]
    by_seed: dict[int, dict[str, list[float]]] = {}
    for run in members:
        for r in real[real["run"] == run].itertuples(index=False):
            if pd.notna(r.value):  # an empty value (NaN) is not a score
                by_seed.setdefault(r.seed, {}).setdefault(r.metric, []).append(r.value)
    return [{m: float(np.mean(v)) for m, v in metrics.items()} for metrics in by_seed.values()]


def summary_table(results: Results, runs: list[str], info: dict, spread: str) -> pd.DataFrame:
    found = lookup(summarise(results.frame, spread))
    out = []
    for (kind, n_modes), members in _group_runs(runs, info):
        two_d = kind in TWO_D
        for run in members:
            done = results.completed(run)
            row = {"dataset": kind, "run": run, "reference": False, "n_modes": n_modes,
                   "samples": ((done[0].get("scores") or {}).get("prior") or {}).get("n") if done else None,
                   "seeds": len(done), "diverged": results.diverged(run)}
            stats = {m: (s["mean"], s["spread"], s["n"]) for m, _ in COLUMNS if (s := found.get((run, "prior", m)))}
            out.append(_stats(row, stats, spread, two_d))
        if kind == "stacked":
            per_seed = _real_per_seed(results.frame, members)
            if per_seed:
                row = {"dataset": kind, "run": REAL_ROW, "reference": True, "n_modes": n_modes,
                       "samples": per_seed[0].get("n"), "seeds": len(per_seed), "diverged": 0}
                stats = {m: mean_spread([s.get(m) for s in per_seed], spread) for m, _ in COLUMNS}
                out.append(_stats(row, stats, spread, False))
    return pd.DataFrame(out)


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
                text = format_mean(mean, sd, d)
                if metric == "kl_to_uniform" and 0 < r["KL seeds"] < r["seeds"]:
                    text += f" ({r['KL seeds']} of {r['seeds']} seeds)"
                row[label] = text
        rows.append(row)
    return pd.DataFrame(rows)


def _caption(study_name: str, results: Results, info: dict, runs: list[str], seeds: list[int],
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
        stacked = [r for r in runs if info[r]["kind"] == "stacked"]
        n_fake = sorted({(rec.get("protocol") or {}).get("n_fake") for r in stacked for rec in results.of(r)} - {None})
        parts.append(f"Stacked Fashion-MNIST: each channel of {', '.join(map(str, n_fake)) or 'the'} generated "
                     f"images labelled by the evaluation classifier ({results.extractors(stacked)}); modes covered = distinct "
                     f"class tuples; KL(tuple histogram || uniform). '{REAL_ROW}': the same count on real stacked "
                     "test images, what a perfect generator scores under this classifier.")
    return " ".join(parts)


def _figures(results: Results, runs, info, runs_dir: Path, figures_dir: Path, dpi: int) -> list[Path]:
    from ganpriors.metrics.mode_coverage import mixture_centers
    from ganpriors.artifacts import load_trace

    trace_rows, panels = [], []
    for (kind, n_modes), members in _group_runs(runs, info):
        label = _label(kind, n_modes)
        for run in members:
            seed = results.first_completed_seed(run)
            spec = info[run]["spec"]
            if seed is None:
                note = "every seed diverged" if results.diverged(run) else "no completed seed"
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
            scores = (results.record(run, seed)["scores"] or {}) if seed is not None else {}
            prior, real = scores.get("prior") or {}, scores.get("real") or {}
            panels.append(HistogramPanel(run, label, seed, histogram=prior.get("histogram"),
                                         real_histogram=real.get("histogram"), two_d=kind in TWO_D,
                                         note=note or ("" if prior.get("histogram") is not None else "no histogram")))
    return [training_scatter(trace_rows, figures_dir / "training_scatter.png", dpi),
            mode_histograms(panels, figures_dir / "mode_histograms.png", dpi)]


def build_mode_coverage_report(params, study_name: str, study, dirs) -> list[Path]:
    runs_dir = require_dir(dirs, "runs", "mode_coverage")
    runs, seeds, cfg = list(study.runs), list(params.seeds), params.report
    results = read_runs(runs_dir, runs, seeds)
    info = {}
    for run in runs:
        spec = dataset_spec(runs_dir, run, seeds)
        info[run] = {"spec": spec, "kind": _kind(results, run, spec), "n_modes": _n_modes(results, run, spec)}

    summary = summary_table(results, runs, info, cfg.spread)
    display = display_table(summary, cfg.spread, cfg.decimals)
    caption = _caption(study_name, results, info, runs, seeds, cfg.spread)
    tables_dir, figures_dir = Path(dirs.tables), Path(dirs.figures)
    written = write_table(summary, display, tables_dir / "mode_coverage", caption)

    long = results.scores()
    long.insert(1, "dataset", [info[r]["kind"] for r in long["run"]])
    written.append(write_csv(tables_dir / "all_scores.csv", long))

    written += _figures(results, runs, info, runs_dir, figures_dir, cfg.dpi)
    return written
