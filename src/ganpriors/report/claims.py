"""The claims table: every claim of params `claims` evaluated on the studies' committed tables.

For each claim: our value of its statistic (mean and a confidence interval over seeds), and for each
comparison the interval of D = value - scale x target (or value - number). With op '<' a comparison
holds when D's whole interval is below 0 and fails when it is wholly above; '>' the reverse. The
verdict: reproduced when every comparison holds, not reproduced when one fails, inconclusive
otherwise (an interval that straddles the threshold). Intervals are Student-t over seeds: a
difference of two scores is paired seed by seed (the same seeds of two runs); otherwise Welch's
interval from each side's mean, spread and number of seeds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ganpriors.config.claims import Cell, Difference, Score
from ganpriors.errors import GanpriorsError
from ganpriors.report.common import mean_spread, write_table

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"


def t_interval(mean: float, se: float, df: float, confidence: float) -> tuple[float, float]:
    """mean -+ t(df) se; NaN without a spread, the point itself for a spread of 0."""
    if math.isnan(se) or df <= 0:
        return (float("nan"), float("nan"))
    half = stats.t.ppf(0.5 + confidence / 2, df) * se if se > 0 else 0.0
    return mean - half, mean + half


@dataclass
class Estimate:
    """A statistic over seeds: per-seed values (a score, or a paired difference of scores), or a
    summary (mean, sample std, n) read from a table."""

    mean: float
    sd: float
    n: int
    per_seed: dict[int, float] | None = None

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n) if self.n else float("nan")

    @property
    def df(self) -> float:
        return self.n - 1

    def interval(self, confidence: float) -> tuple[float, float]:
        return t_interval(self.mean, self.se, self.df, confidence)


@dataclass
class Welch:
    """a - s b from two independent summaries: Welch's t interval."""

    mean: float
    se: float
    df: float

    def interval(self, confidence: float) -> tuple[float, float]:
        return t_interval(self.mean, self.se, self.df, confidence)


def _from_values(values: dict[int, float]) -> Estimate:
    mean, sd, n = mean_spread(values.values(), "std")
    return Estimate(mean, sd, n, dict(values))


class Tables:
    """The committed tables the claims read, each loaded once."""

    def __init__(self, tables_dir: Path):
        self.dir, self._cache = Path(tables_dir), {}

    def get(self, study: str, table: str) -> pd.DataFrame:
        key = (study, table)
        if key not in self._cache:
            path = self.dir / study / table
            if not path.is_file():
                raise GanpriorsError(f"{path}: missing; the claims read the {study} study's tables: run its report "
                                     f"stage first (report_{study})")
            self._cache[key] = pd.read_csv(path)
        return self._cache[key]


def estimate(stat, tables: Tables) -> Estimate | Welch:
    if isinstance(stat, Score):
        scores = tables.get(stat.study, "all_scores.csv")
        rows = scores[(scores.run == stat.run) & (scores.set == stat.set) & (scores.metric == stat.metric)]
        if rows.empty:
            raise GanpriorsError(f"{tables.dir / stat.study / 'all_scores.csv'}: no {stat.set} {stat.metric} of run "
                                 f"{stat.run}; check the claim's score")
        return _from_values({int(s): float(v) for s, v in zip(rows.seed, rows.value) if not math.isnan(v)})
    if isinstance(stat, Cell):
        table = tables.get(stat.study, stat.table)
        mask = np.ones(len(table), dtype=bool)
        for column, value in stat.row.items():
            mask &= (table[column].astype(str) == str(value)).to_numpy()
        if mask.sum() != 1:
            raise GanpriorsError(f"{tables.dir / stat.study / stat.table}: {int(mask.sum())} rows match {stat.row}, "
                                 "expected one; check the claim's row")
        row = table[mask].iloc[0]
        sd_column = next((c for c in (f"{stat.column} std", f"{stat.column} sem") if c in table.columns), None)
        sd = float(row[sd_column]) if sd_column else float("nan")
        if sd_column and sd_column.endswith("sem"):
            sd *= math.sqrt(int(row["seeds"]))
        return Estimate(float(row[f"{stat.column} mean"]), sd, int(row["seeds"]))
    return combine(estimate(stat.minus[0], tables), estimate(stat.minus[1], tables), 1.0)


def combine(a, b, scale: float):
    """a - scale b: paired when both carry per-seed values, else Welch."""
    if isinstance(a, Estimate) and isinstance(b, Estimate) and a.per_seed is not None and b.per_seed is not None:
        seeds = sorted(set(a.per_seed) & set(b.per_seed))
        return _from_values({s: a.per_seed[s] - scale * b.per_seed[s] for s in seeds})
    se2 = [a.se ** 2, scale ** 2 * b.se ** 2]
    se = math.sqrt(sum(se2))
    dfs = [a.df, b.df]
    df = (sum(se2) ** 2 / sum(v ** 2 / d for v, d in zip(se2, dfs) if d > 0)) if se > 0 else max(min(dfs), 1)
    return Welch(a.mean - scale * b.mean, se, df)


def shifted(a, number: float) -> Welch:
    return Welch(a.mean - number, a.se, a.df)


def comparison_verdict(interval: tuple[float, float], op: str) -> str:
    lo, hi = interval
    if math.isnan(lo):
        return INCONCLUSIVE
    if op == "<":
        return REPRODUCED if hi < 0 else NOT_REPRODUCED if lo > 0 else INCONCLUSIVE
    return REPRODUCED if lo > 0 else NOT_REPRODUCED if hi < 0 else INCONCLUSIVE


def evaluate_claim(claim, tables: Tables) -> dict:
    value = estimate(claim.value, tables)
    if isinstance(claim.than, list):
        ds = [combine(value, estimate(t, tables), claim.scale) for t in claim.than]
    else:
        ds = [shifted(value, claim.than)]
    intervals = [d.interval(claim.confidence) for d in ds]
    verdicts = [comparison_verdict(i, claim.op) for i in intervals]
    verdict = (REPRODUCED if all(v == REPRODUCED for v in verdicts)
               else NOT_REPRODUCED if NOT_REPRODUCED in verdicts else INCONCLUSIVE)
    lo, hi = value.interval(claim.confidence)
    return {"value mean": value.mean, "value lo": lo, "value hi": hi, "seeds": getattr(value, "n", None),
            "differences": [(d.mean, *i) for d, i in zip(ds, intervals)], "verdict": verdict}


def claims_frame(params, tables_dir: Path) -> pd.DataFrame:
    tables = Tables(tables_dir)
    rows = []
    for name, claim in params.claims.items():
        result = evaluate_claim(claim, tables)
        rows.append({"claim": name, "paper": claim.paper, "statement": claim.claim, "paper value": claim.paper_value,
                     "rule": claim.rule_text(), "confidence": claim.confidence, "seeds": result["seeds"],
                     "ours mean": result["value mean"], "ours lo": result["value lo"], "ours hi": result["value hi"],
                     "differences": "; ".join(f"{m:.4g} [{lo:.4g}, {hi:.4g}]" for m, lo, hi in result["differences"]),
                     "verdict": result["verdict"], "note": claim.note or ""})
    return pd.DataFrame(rows)


def write_claims(params, tables_dir: Path, out_stem: Path) -> list[Path]:
    frame = claims_frame(params, tables_dir)
    display = pd.DataFrame({
        "paper": frame["paper"], "claim": frame["statement"], "paper's number": frame["paper value"],
        "ours (mean [95% interval])": [f"{m:.4g} [{lo:.4g}, {hi:.4g}]" for m, lo, hi in
                                       zip(frame["ours mean"], frame["ours lo"], frame["ours hi"])],
        "rule": frame["rule"], "value - threshold [interval]": frame["differences"], "verdict": frame["verdict"]})
    caption = ("Claims of the reproduced papers, each checked by its rule (params `claims`) on the committed tables "
               "(results/tables/<study>/): intervals are Student-t over seeds at the claim's confidence, paired seed by "
               "seed for differences of two runs' scores; a claim is reproduced when every comparison's interval lies "
               "on the claimed side of its threshold, not reproduced when one lies wholly on the other side, and "
               "inconclusive otherwise. Ours are Fashion-MNIST numbers in the pinned classifier's features; the "
               "papers' are on their own data and features: the rules compare directions and ratios, not values.")
    return write_table(frame, display, out_stem, caption)
