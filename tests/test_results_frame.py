"""The results frame (report.results) from small synthetic metrics and probe files."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from ganpriors.io import write_json
from ganpriors.report import common
from ganpriors.report.results import (
    FRAME_COLUMNS,
    LONG_COLUMNS,
    mean_columns,
    pivot,
    read_probes,
    read_runs,
    results_frame,
    seed_counts,
    summarise,
)


def _metrics(root, run, seed, status, fid=None, ivar_real=None, **extra):
    scores = None if status != "completed" else {
        "prior": {"fid": fid, "is": 2.0, "histogram": [3, 0, 1], "flag": True, "label": "x", **extra},
        "lambda_0.5": {"fid": fid + 10.0, "is": None},
    }
    record = {"status": status, "scores": scores, "train": {"steps": 5, "diverged_at_step": None if scores else 3},
              "protocol": {"feature_extractor": "clf"}}
    if ivar_real is not None:
        record["reference"] = {"i_variance": ivar_real}
    write_json(root / run / f"seed{seed}" / "metrics.json", record)


@pytest.fixture
def runs_dir(tmp_path):
    _metrics(tmp_path, "a", 0, "completed", fid=10.0, ivar_real=0.3)
    _metrics(tmp_path, "a", 1, "completed", fid=14.0, ivar_real=0.5)
    _metrics(tmp_path, "a", 2, "completed", fid=18.0, ivar_real=0.4)
    _metrics(tmp_path, "b", 0, "diverged", ivar_real=0.6)
    _metrics(tmp_path, "b", 1, "completed", fid=30.0)
    _metrics(tmp_path, "b", 2, "completed", fid=40.0)
    for seed in (0, 1, 2):
        _metrics(tmp_path, "c", seed, "diverged")
    return tmp_path


def test_frame_rows_statuses_and_non_scalars(runs_dir):
    results = read_runs(runs_dir, ["a", "b", "c"], [2, 0, 1])  # seeds are read in ascending order
    frame = results.frame
    assert list(frame.columns) == FRAME_COLUMNS
    assert results.seeds == [0, 1, 2] and [r["seed"] for r in results.of("a")] == [0, 1, 2]
    a0 = frame[(frame.run == "a") & (frame.seed == 0)]
    # Numbers only: lists, booleans and strings are left out; None is an empty value (NaN).
    assert list(zip(a0["set"], a0.metric)) == [("lambda_0.5", "fid"), ("lambda_0.5", "is"), ("prior", "fid"),
                                               ("prior", "is"), ("reference", "i_variance")]
    assert math.isnan(a0[a0.metric == "is"].value.iloc[0]) and set(a0.status) == {"completed"}
    assert frame.value.dtype == "float64" and frame.seed.dtype == "int64"
    # A diverged seed has no scores: only its reference row, with its status.
    b0 = frame[(frame.run == "b") & (frame.seed == 0)]
    assert list(b0["set"]) == ["reference"] and list(b0.status) == ["diverged"]
    assert frame[frame.run == "c"].empty
    status = results.status
    assert len(status) == 9 and list(status[status.run == "c"].status) == ["diverged"] * 3
    assert list(status[status.run == "b"].diverged_at_step.fillna(-1)) == [3, -1, -1]
    assert seed_counts(results, ["a", "b", "c"]).to_dict("list") == {"seeds": [3, 2, 0], "diverged": [0, 1, 3]}
    # The first completed seed is the lowest completed seed.
    assert [results.first_completed_seed(r) for r in ["a", "b", "c"]] == [0, 1, None]
    assert results.extractors() == "clf"
    long = results.scores()
    assert list(long.columns) == LONG_COLUMNS and "reference" not in set(long["set"])
    assert set(results.scores(with_reference=True)["set"]) == {"prior", "lambda_0.5", "reference"}


@pytest.mark.parametrize("kind", ["std", "sem"])
def test_summary_mean_and_spread_over_completed_seeds(runs_dir, kind):
    results = read_runs(runs_dir, ["a", "b", "c"], [0, 1, 2])
    summary = summarise(results.frame, kind)
    assert list(summary.columns) == ["run", "set", "metric", "mean", "spread", "n"]
    row = summary[(summary.run == "a") & (summary["set"] == "prior") & (summary.metric == "fid")].iloc[0]
    assert row["mean"] == pytest.approx(14.0) and row["n"] == 3
    assert row["spread"] == pytest.approx(4.0 if kind == "std" else 4.0 / math.sqrt(3))
    empty = summary[(summary.run == "a") & (summary["set"] == "lambda_0.5") & (summary.metric == "is")].iloc[0]
    assert math.isnan(empty["mean"]) and empty["n"] == 0
    b = summary[(summary.run == "b") & (summary["set"] == "prior") & (summary.metric == "fid")].iloc[0]
    assert b["mean"] == pytest.approx(35.0) and b["n"] == 2  # the diverged seed is left out
    # The real data do not depend on the run: a diverged seed's reference scores count.
    ref = summary[(summary.run == "b") & (summary["set"] == "reference")].iloc[0]
    assert ref["mean"] == pytest.approx(0.6) and ref["n"] == 1 and math.isnan(ref["spread"])
    wide = mean_columns(summary, ["a", "b", "c"], [("prior", "fid", "FID")], kind)
    assert list(wide.columns) == ["FID mean", f"FID {kind}"]
    assert wide["FID mean"].iloc[1] == pytest.approx(35.0) and math.isnan(wide["FID mean"].iloc[2])


def test_paper_numbers_joined_as_columns(runs_dir):
    results = read_runs(runs_dir, ["a", "b", "c"], [0, 1, 2])
    paper = pd.DataFrame([{"run": "a", "set": "prior", "metric": "fid", "paper": 12.5, "paper_note": ""},
                          {"run": "c", "set": "prior", "metric": "fid", "paper": float("nan"), "paper_note": "> 100"}])
    summary = summarise(results.frame, "std", paper)
    assert {"paper", "paper_note"} <= set(summary.columns)
    a = summary[(summary.run == "a") & (summary.metric == "fid") & (summary["set"] == "prior")].iloc[0]
    assert a["paper"] == 12.5 and a["mean"] == pytest.approx(14.0)
    # Every seed of c diverged: its paper numbers still have a row (no mean, n = 0).
    c = summary[summary.run == "c"].iloc[0]
    assert c["paper_note"] == "> 100" and c["n"] == 0 and math.isnan(c["mean"])
    wide = pivot(summary, ["a", "b", "c"], [("prior", "fid", "FID")], {"paper": "paper {}", "paper_note": "paper {} note"})
    assert list(wide.columns) == ["paper FID", "paper FID note"]
    assert wide["paper FID"].iloc[0] == 12.5 and math.isnan(wide["paper FID"].iloc[1])
    assert wide["paper FID note"].iloc[2] == "> 100"


def test_probe_numbers_are_a_set_of_dotted_paths(tmp_path):
    for seed, status in ((0, "completed"), (1, "diverged")):
        probe = {"prior": {"pi_l1": 0.1, "pi": [0.5, 0.5], "learnable": True}, "clustering": {"purity": 0.8},
                 "units": "genes"} if status == "completed" else None
        write_json(tmp_path / "r" / f"seed{seed}.json",
                   {"run": "r", "seed": seed, "status": status, "probe": probe,
                    "scores": {"prior": {"fid": 5.0}} if probe else None, "protocol": {"feature_extractor": "clf"}})
    results = read_probes(tmp_path, ["r"], [0, 1])
    frame = results.frame
    assert list(zip(frame["set"], frame.metric)) == [("prior", "fid"), ("probe", "clustering.purity"),
                                                     ("probe", "prior.pi_l1")]  # the file's key order
    assert results.scores()["set"].tolist() == ["prior"]  # all_scores.csv: evaluation scores only
    assert results.record("r", 0)["probe"]["prior"]["pi"] == [0.5, 0.5]  # lists stay in the records
    assert results.diverged("r") == 1 and [r["seed"] for r in results.completed("r")] == [0]


def test_results_frame_of_no_records_is_empty_with_the_columns():
    frame = results_frame([])
    assert frame.empty and list(frame.columns) == FRAME_COLUMNS


def test_common_formatting_and_spread():
    assert common.format_mean(1.23456, 0.5, 2) == "1.23 ± 0.50"
    assert common.format_mean(1.0, float("nan"), 1) == "1.0"
    assert common.format_mean(float("nan"), 0.1, 1) == "n/a"
    assert common.format_cell(float("nan"), float("nan"), 1, seeds=0) == "diverged"
    assert common.mean_spread([1.0, None, float("inf"), 3.0], "std") == (2.0, pytest.approx(math.sqrt(2)), 2)
    with pytest.raises(ValueError):
        common.spread(pd.Series([1.0, 2.0]), "var")
