"""The results frame every study report builds its tables from.

One tidy table, one row per number: (run, seed, set, metric, value, status), read once from the
runs' metrics files (results/runs/<run>/seed<seed>/metrics.json) or from a study's probe files
(results/probes/<study>/<run>/seed<seed>.json, which copy the run's scores and add the probe's
numbers). The sets are

- each section of the file's `scores` (`prior`, `lambda_<l>`, `real`, ...): evaluation scores;
- `reference`: the metrics file's scores of the real reference data (e.g. its I-Variance);
- `probe`: the probe's numbers, nested keys joined by dots (`clustering.purity`, `prior.pi_l1`).

Rules, the same for every study:

- Values are numbers: int and float (None -> NaN). Lists (histograms, pi per mode), strings and
  booleans are not in the frame; reports read those from `Results.records`.
- `status` is the status of the run and seed ("completed", "diverged"). Only completed seeds
  enter a summary, except for the `reference` set: the real data do not depend on the run, so
  every seed whose file scores them counts. A seed that diverged has no scores, so
  `Results.status` (one row per run and seed, whatever the file holds) is what counts seeds.
- Seeds are read in ascending order, whatever their order in params; the model a figure shows is
  that of the first completed seed, i.e. the lowest completed seed.
- Mean and spread are over the finite values of the completed seeds; spread = params
  `report.spread` ('std': sample standard deviation, 'sem': std / sqrt(n); NaN for one value).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ganpriors.io import read_json
from ganpriors.report.common import mean_spread

FRAME_COLUMNS = ["run", "seed", "set", "metric", "value", "status"]
LONG_COLUMNS = ["run", "seed", "set", "metric", "value"]   # the all_scores.csv of a report
SUMMARY_KEYS = ["run", "set", "metric"]
COMPLETED, DIVERGED = "completed", "diverged"
REFERENCE, PROBE = "reference", "probe"

# Evaluation scores of image runs (metrics.evaluate), in table order, with their labels.
SCORES = [("fid", "FID"), ("kid", "KID"), ("is", "IS"), ("precision", "precision"), ("recall", "recall"),
          ("i_variance", "I-Variance")]
# The torch-fidelity scores: what the probe studies' tables show (I-Variance is the MaEM-GAN
# study's own measure).
IMAGE_SCORES = SCORES[:5]


def is_number(value) -> bool:
    """What the frame holds: int, float or None (an empty value), not bool."""
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _flatten(numbers: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in numbers.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _sections(record: dict) -> dict:
    sections = dict(record.get("scores") or {})
    if record.get(REFERENCE):
        sections[REFERENCE] = record[REFERENCE]
    if record.get(PROBE):
        sections[PROBE] = _flatten(record[PROBE])
    return sections


def results_frame(records: list[dict]) -> pd.DataFrame:
    """The tidy frame (run, seed, set, metric, value, status) of metrics or probe records (each
    tagged with its run and seed), in record order, then set and metric order of the file."""
    rows = [(r["run"], r["seed"], set_name, metric, float("nan") if value is None else float(value), r.get("status"))
            for r in records for set_name, values in _sections(r).items()
            for metric, value in (values or {}).items() if is_number(value)]
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    return frame.astype({"seed": "int64", "value": "float64"})


@dataclass
class Results:
    """The records of a study's runs and seeds and their frame."""

    runs: list[str]
    seeds: list[int]      # ascending
    records: list[dict]   # the files as read, run order then seed order, tagged with run and seed
    frame: pd.DataFrame   # results_frame(records)

    @property
    def status(self) -> pd.DataFrame:
        """One row per run and seed (run order, seeds ascending): status, diverged_at_step,
        feature_extractor."""
        return pd.DataFrame([{"run": r["run"], "seed": r["seed"], "status": r.get("status"),
                              "diverged_at_step": (r.get("train") or {}).get("diverged_at_step"),
                              "feature_extractor": (r.get("protocol") or {}).get("feature_extractor")}
                             for r in self.records], columns=["run", "seed", "status", "diverged_at_step",
                                                              "feature_extractor"])

    def of(self, run: str) -> list[dict]:
        return [r for r in self.records if r["run"] == run]

    def completed(self, run: str) -> list[dict]:
        """The records of the run's completed seeds, seeds ascending."""
        return [r for r in self.of(run) if r.get("status") == COMPLETED]

    def diverged(self, run: str) -> int:
        return sum(1 for r in self.of(run) if r.get("status") == DIVERGED)

    def first_completed_seed(self, run: str) -> int | None:
        """The lowest completed seed: the model shown in figures."""
        done = self.completed(run)
        return done[0]["seed"] if done else None

    def record(self, run: str, seed: int) -> dict:
        return next(r for r in self.records if r["run"] == run and r["seed"] == seed)

    def extractors(self, runs: list[str] | None = None) -> str:
        """The feature extractors the files name (", "-joined, in order of appearance)."""
        labels = []
        for r in self.records:
            label = (r.get("protocol") or {}).get("feature_extractor")
            if (runs is None or r["run"] in runs) and label and label not in labels:
                labels.append(label)
        return ", ".join(labels) if labels else "unknown"

    def scores(self, with_reference: bool = False) -> pd.DataFrame:
        """(run, seed, set, metric, value) of every evaluation score (the reference set if asked),
        i.e. the frame without the probe's numbers: a report's all_scores.csv."""
        sets = {PROBE} | (set() if with_reference else {REFERENCE})
        return self.frame[~self.frame["set"].isin(sets)][LONG_COLUMNS].reset_index(drop=True)


def _read(folder: Path, runs: list[str], seeds: list[int], name: str, what: str) -> Results:
    seeds = sorted(seeds)
    records = [{**read_json(Path(folder) / run / name.format(seed=seed), what), "run": run, "seed": seed}
               for run in runs for seed in seeds]
    return Results(list(runs), seeds, records, results_frame(records))


def read_runs(runs_dir: Path, runs: list[str], seeds: list[int]) -> Results:
    """The metrics files of `runs` x `seeds` under results/runs."""
    return _read(runs_dir, runs, seeds, "seed{seed}/metrics.json", "metrics file")


def read_probes(probes_dir: Path, runs: list[str], seeds: list[int]) -> Results:
    """The probe files of `runs` x `seeds` under results/probes/<study>."""
    return _read(probes_dir, runs, seeds, "seed{seed}.json", "probe file")


def summarise(frame: pd.DataFrame, spread: str, paper: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean, spread and count (n) of each (run, set, metric) over the finite values of the completed
    seeds (of every seed for the `reference` set).

    paper: (run, set, metric, <paper columns>...) of reference numbers, joined as columns; a key
    the runs did not score (every seed diverged) gets a row with n = 0."""
    done = frame[(frame["status"] == COMPLETED) | (frame["set"] == REFERENCE)]
    rows = []
    for (run, set_name, metric), values in done.groupby(SUMMARY_KEYS, sort=False)["value"]:
        mean, sd, n = mean_spread(values, spread)
        rows.append({"run": run, "set": set_name, "metric": metric, "mean": mean, "spread": sd, "n": n})
    summary = pd.DataFrame(rows, columns=SUMMARY_KEYS + ["mean", "spread", "n"])
    if paper is None:
        return summary
    scored = set(zip(summary["run"], summary["set"], summary["metric"]))
    extra = [dict(zip(SUMMARY_KEYS, key), mean=float("nan"), spread=float("nan"), n=0)
             for key in zip(paper["run"], paper["set"], paper["metric"]) if key not in scored]
    if extra:
        summary = pd.concat([summary, pd.DataFrame(extra)], ignore_index=True)
    return summary.merge(paper, on=SUMMARY_KEYS, how="left")


def lookup(summary: pd.DataFrame) -> dict[tuple[str, str, str], dict]:
    """(run, set, metric) -> that row of the summary (mean, spread, n, paper columns)."""
    return {(r["run"], r["set"], r["metric"]): r for r in summary.to_dict("records")}


def pivot(summary: pd.DataFrame, runs: list[str], columns: list[tuple[str, str, str]],
          fields: dict[str, str]) -> pd.DataFrame:
    """The wide table of a study: one row per run (in `runs` order, no run column) and, for each
    (set, metric, name) of `columns` and each (field, pattern) of `fields`, the column
    pattern.format(name) holding the summary's `field` (NaN where the summary has no such row)."""
    found_in = lookup(summary)
    rows = []
    for run in runs:
        row = {}
        for set_name, metric, name in columns:
            found = found_in.get((run, set_name, metric), {})
            for field, pattern in fields.items():
                row[pattern.format(name)] = found.get(field, float("nan"))
        rows.append(row)
    return pd.DataFrame(rows, columns=[p.format(name) for _, _, name in columns for p in fields.values()])


def mean_columns(summary: pd.DataFrame, runs: list[str], columns: list[tuple[str, str, str]],
                 spread: str) -> pd.DataFrame:
    """pivot of '<name> mean' and '<name> <spread>' (e.g. 'FID mean', 'FID std')."""
    return pivot(summary, runs, columns, {"mean": "{} mean", "spread": f"{{}} {spread}"})


def seed_counts(results: Results, runs: list[str]) -> pd.DataFrame:
    """Per run: completed seeds ('seeds') and diverged seeds ('diverged')."""
    return pd.DataFrame({"seeds": [len(results.completed(r)) for r in runs],
                         "diverged": [results.diverged(r) for r in runs]})
