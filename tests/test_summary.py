"""The summarise stage: a study's headline numbers (DVC metrics) and plot data from its tables."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from ganpriors.config import load_params
from ganpriors.errors import GanpriorsError
from ganpriors.pipeline import layout
from ganpriors.report.summary import fid_vs_lambda, metric_name, summary_metrics, write_summary

from conftest import ROOT


def test_metric_names_are_snake_case_of_the_column_stem():
    assert metric_name("FID mid-point") == "fid_mid_point"
    assert metric_name("I-Variance") == "i_variance"
    assert metric_name("modes covered") == "modes_covered"


def test_summary_metrics_pairs_mean_and_std_columns_per_row():
    table = pd.DataFrame({"run": ["a", "b"], "seeds": [3, 2], "diverged": [0, 1], "note": ["x", "y"],
                          "FID prior mean": [10.5, 20.0], "FID prior std": [1.25, float("nan")],
                          "pi_l1 mean": [0.1, 0.2], "pi_l1 std": [0.0, 0.01]})
    assert summary_metrics(table, ("run",)) == {
        "a": {"seeds": 3, "diverged": 0, "fid_prior": {"mean": 10.5, "std": 1.25}, "pi_l1": {"mean": 0.1, "std": 0}},
        # a missing spread (one completed seed) is left out, not written as NaN
        "b": {"seeds": 2, "diverged": 1, "fid_prior": {"mean": 20}, "pi_l1": {"mean": 0.2, "std": 0.01}}}
    with pytest.raises(GanpriorsError, match="summary table has no column 'dataset'"):
        summary_metrics(table, ("dataset", "run"))


def test_fid_vs_lambda_averages_seeds_with_the_prior_at_lambda_0(tmp_path):
    rows = [("b", 0, "prior", "fid", 10.0), ("b", 1, "prior", "fid", 12.0), ("b", 0, "lambda_0.5", "fid", 20.0),
            ("b", 1, "lambda_0.5", "fid", 24.0), ("a", 0, "prior", "fid", 1.0), ("a", 0, "lambda_0.5", "fid", 2.0),
            ("a", 0, "prior", "is", 99.0), ("a", 0, "reference", "fid", 99.0)]
    pd.DataFrame(rows, columns=["run", "seed", "set", "metric", "value"]).to_csv(tmp_path / "all_scores.csv", index=False)

    class Study:
        runs = ["b", "a"]

    df = fid_vs_lambda(tmp_path, Study, "s")
    assert list(df.columns) == ["lambda", "b", "a"]  # the study's order of runs
    assert df.to_dict("list") == {"lambda": [0.0, 0.5], "b": [11.0, 22.0], "a": [1.0, 2.0]}


NOT_RUN = {"survey"}  # studies whose full run is still to be made (docs/studies/survey.md)


def test_committed_metrics_are_the_committed_tables():
    """results/metrics/<study>.json is what the summarise stage writes from the committed tables."""
    params = load_params(ROOT / "params.yaml")
    for name, study in params.studies.items():
        if name in NOT_RUN:  # neither its tables nor its metrics are committed before its full run
            assert not (ROOT / layout.study_metrics(name)).exists() and not (ROOT / layout.tables_dir(name)).exists()
            continue
        committed = json.loads((ROOT / layout.study_metrics(name)).read_text())
        table = pd.read_csv(ROOT / layout.tables_dir(name) / study.summary_table)
        assert committed == {"study": name, "kind": study.kind, "runs": summary_metrics(table, study.summary_key)}
        assert set(study.runs) <= set(committed["runs"])  # (mode coverage adds its real-data reference row)
    fid = json.loads((ROOT / layout.study_metrics("nonparametric")).read_text())["runs"]["normal"]["fid_prior"]
    table = pd.read_csv(ROOT / layout.tables_dir("nonparametric") / "prior_vs_midpoint.csv").set_index("prior")
    assert fid == {"mean": table.loc["normal", "FID prior mean"], "std": table.loc["normal", "FID prior std"]}


def test_write_summary_writes_metrics_and_plot_data(tmp_path):
    params = load_params(ROOT / "params.yaml")
    written = write_summary(params, "nonparametric", ROOT / layout.tables_dir("nonparametric"),
                            tmp_path / "m.json", tmp_path / "plots")
    assert written == [tmp_path / "m.json", tmp_path / "plots" / "fid_vs_lambda.csv"]
    curves = pd.read_csv(tmp_path / "plots" / "fid_vs_lambda.csv")
    assert list(curves.columns) == ["lambda", *params.studies["nonparametric"].runs]
    assert curves["lambda"].tolist() == [0.0, *params.eval.fake.lambdas]


@pytest.mark.parametrize("content, match", [
    (None, "missing; run the study's report stage first"),
    (b"\xff\xfe\x00garbage", "not a readable CSV table"),
])
def test_bad_tables_are_one_line_errors_and_write_nothing(tmp_path, content, match):
    params = load_params(ROOT / "params.yaml")
    tables = tmp_path / "tables"
    tables.mkdir()
    if content is not None:
        (tables / "stylegenes.csv").write_bytes(content)
    with pytest.raises(GanpriorsError, match=match) as err:
        write_summary(params, "stylegenes", tables, tmp_path / "m.json", tmp_path / "plots")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize("params_file", ["params.yaml", "configs/quick.yaml", "configs/quick_mode_collapse.yaml"])
def test_every_study_output_has_a_caption_for_the_snakemake_report(params_file):
    from ganpriors.config.core import read_yaml
    from ganpriors.config.overlay import apply_overlay
    from ganpriors.config import validate_params
    from ganpriors.pipeline.report import caption_path
    from ganpriors.pipeline.stages import stages

    path = ROOT / params_file
    raw = apply_overlay(path) if "overlay_of" in path.read_text() else read_yaml(path)
    params = validate_params(raw)
    outputs = [(stage.fixed["study"], stage.format(p)) for stage in stages(params)
               if stage.command in ("report", "summarise") for p in stage.outs.values()]
    assert len(outputs) >= 14
    missing = {caption_path(params.studies[s].kind, out, params.studies[s].runs) for s, out in outputs
               if not (ROOT / caption_path(params.studies[s].kind, out, params.studies[s].runs)).is_file()}
    assert not missing, sorted(missing)
