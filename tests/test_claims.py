"""The claims table: its intervals and verdicts against hand computations on tiny tables, its
one-line errors, and the committed results/tables/claims.csv as `ganpriors claims` computes it from
the committed study tables."""
from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ganpriors.config import load_params, validate_params
from ganpriors.config.claims import Claim
from ganpriors.config.core import read_yaml
from ganpriors.errors import GanpriorsError
from ganpriors.report.claims import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Tables, evaluate_claim

from conftest import ROOT

A = [10.0, 12.0, 11.0]   # run a's FID per seed
B = [15.0, 16.5, 14.0]   # run b's


@pytest.fixture
def tables(tmp_path):
    rows = [("a", s, "prior", "fid", v) for s, v in enumerate(A)] + [("b", s, "prior", "fid", v) for s, v in enumerate(B)]
    (tmp_path / "st").mkdir()
    pd.DataFrame(rows, columns=["run", "seed", "set", "metric", "value"]).to_csv(tmp_path / "st/all_scores.csv", index=False)
    pd.DataFrame({"run": ["a", "b"], "seeds": [3, 4], "pi mean": [0.05, 0.4], "pi std": [0.01, 0.0]}).to_csv(
        tmp_path / "st/summary.csv", index=False)
    return Tables(tmp_path)


def score(run):
    return {"study": "st", "run": run, "metric": "fid"}


def claim(**kw):
    return Claim.model_validate({"paper": "p", "claim": "c", "paper_value": "v", **kw})


def t_interval(values, confidence=0.95):
    v = np.asarray(values)
    half = stats.t.ppf(0.5 + confidence / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
    return v.mean() - half, v.mean() + half


def test_a_difference_of_two_runs_scores_is_paired_seed_by_seed(tables):
    result = evaluate_claim(claim(value=score("a"), op="<", than=[score("b")]), tables)
    d = np.array(A) - np.array(B)
    (mean, lo, hi), = result["differences"]
    assert mean == pytest.approx(d.mean()) and (lo, hi) == pytest.approx(t_interval(d))
    assert hi < 0 and result["verdict"] == REPRODUCED
    assert (result["value lo"], result["value hi"]) == pytest.approx(t_interval(A))


def test_scaled_targets_each_must_hold(tables):
    # a < 0.5 b fails for every seed (10 vs 7.5 ...): not reproduced.
    result = evaluate_claim(claim(value=score("a"), op="<", than=[score("b")], scale=0.5), tables)
    (mean, lo, _), = result["differences"]
    assert mean == pytest.approx((np.array(A) - 0.5 * np.array(B)).mean()) and lo > 0
    assert result["verdict"] == NOT_REPRODUCED


def test_an_interval_across_the_threshold_is_inconclusive(tables):
    # mean(a) = 11 with a wide 3-seed interval: "a > 10.5" can be neither confirmed nor refuted.
    result = evaluate_claim(claim(value=score("a"), op=">", than=10.5), tables)
    (_, lo, hi), = result["differences"]
    assert lo < 0 < hi and result["verdict"] == INCONCLUSIVE


def test_table_cells_use_welchs_interval(tables):
    cell = {"study": "st", "table": "summary.csv", "column": "pi"}
    result = evaluate_claim(claim(value={**cell, "row": {"run": "a"}}, op="<", than=[{**cell, "row": {"run": "b"}}]),
                            tables)
    (mean, lo, hi), = result["differences"]
    se = math.sqrt(0.01 ** 2 / 3)  # b's std is 0: all of the spread is a's, with its 2 degrees of freedom
    assert mean == pytest.approx(-0.35) and hi - mean == pytest.approx(stats.t.ppf(0.975, 2) * se)
    assert result["verdict"] == REPRODUCED


def test_a_difference_statistic_is_paired_too(tables):
    gap = {"minus": [score("b"), score("a")]}  # b - a per seed, compared with a number
    result = evaluate_claim(claim(value=gap, op=">", than=2.0), tables)
    d = np.array(B) - np.array(A) - 2.0
    (mean, lo, hi), = result["differences"]
    assert mean == pytest.approx(d.mean()) and (lo, hi) == pytest.approx(t_interval(d))


def params_with(claims):
    raw = read_yaml(ROOT / "params.yaml")
    raw["claims"] = claims
    return raw


@pytest.mark.parametrize("statistic, message", [
    ({"study": "nope", "run": "normal", "metric": "fid"}, "claims.bad: study 'nope' is not in studies"),
    ({"study": "nonparametric", "run": "sg_genes", "metric": "fid"}, "run 'sg_genes' is not one of studies.nonparametric.runs"),
    ({"study": "nemgan", "table": "nope.csv", "row": {"run": "nemgan_p_twoclass"}, "column": "pi_l1"},
     "table 'nope.csv' is not one of the nemgan study's tables"),
])
def test_a_claim_reading_what_no_study_has_is_one_line(statistic, message):
    bad = {"paper": "p", "claim": "c", "paper_value": "v", "value": statistic, "op": "<", "than": 1.0}
    with pytest.raises(GanpriorsError) as err:
        validate_params(params_with({"bad": bad}))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_committed_claims_table_is_what_the_committed_tables_give(tmp_path):
    from ganpriors.cli import main

    params = load_params(ROOT / "params.yaml")
    assert main(["claims", "--tables-dir", str(ROOT / "results/tables"), "--out", str(tmp_path / "claims")]) == 0
    assert (tmp_path / "claims.csv").read_text() == (ROOT / "results/tables/claims.csv").read_text()
    committed = pd.read_csv(ROOT / "results/tables/claims.csv")
    assert list(committed["claim"]) == list(params.claims)
    assert set(committed["verdict"]) <= {REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE}
    # The README's Study 1 verdict: the non-parametric prior's gap is not smaller (the rule says so too).
    assert committed.set_index("claim").loc["np_small_gap", "verdict"] == NOT_REPRODUCED


def test_the_claims_stage_reads_only_the_tables_its_claims_name():
    from ganpriors.pipeline.stages import stages

    params = load_params(ROOT / "params.yaml")
    (stage,) = [s for s in stages(params) if s.command == "claims"]
    read = set(stage.deps.values())
    assert "results/tables/nemgan/nemgan.csv" in read and "results/tables/maemgan/all_scores.csv" in read
    assert all(p.startswith("results/tables/") for p in read) and not any("survey" in p for p in read)
    without = copy.deepcopy(read_yaml(ROOT / "params.yaml"))
    without.pop("claims")
    assert not [s for s in stages(validate_params(without)) if s.command == "claims"]
