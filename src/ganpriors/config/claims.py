"""Settings of the claims table (params `claims`), torch-free: each paper's claim as a rule over the
studies' committed tables, checked by `ganpriors claims` (ganpriors.report.claims).

A claim compares a statistic with thresholds: `value` `op` `scale` x each of `than` (every
comparison must hold: "x < 0.5 x min(a, b)" is x < 0.5 a and x < 0.5 b), or with a number. A
statistic is
- a score, {study, run, set, metric}: one value per seed from the study's all_scores.csv;
- a table cell, {study, table, row, column}: mean and spread over seeds from a study table (the row
  picked by key columns, e.g. {run: nemgan_p_twoclass}; `column` names '<column> mean' and
  '<column> std', and the table's 'seeds' column the number of seeds);
- a difference, {minus: [a, b]}: a - b, paired seed by seed when both are scores.
"""
from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field, model_validator

from ganpriors.schema import Strict


class Score(Strict):
    study: str
    run: str
    set: str = "prior"
    metric: str

    def studies(self) -> set[str]:
        return {self.study}

    def text(self) -> str:
        where = "" if self.set == "prior" else f" ({self.set.replace('lambda_', 'lambda ')})"
        return f"{self.metric}{where} of {self.run}"


class Cell(Strict):
    study: str
    table: str
    row: dict[str, Union[str, int, float, bool]] = Field(min_length=1)
    column: str

    def studies(self) -> set[str]:
        return {self.study}

    def text(self) -> str:
        return f"{self.column} of {', '.join(str(v) for v in self.row.values())}"


class Difference(Strict):
    minus: list["Statistic"] = Field(min_length=2, max_length=2)

    def studies(self) -> set[str]:
        return self.minus[0].studies() | self.minus[1].studies()

    def text(self) -> str:
        return f"[{self.minus[0].text()} - {self.minus[1].text()}]"


Statistic = Union[Score, Cell, Difference]
Difference.model_rebuild()


class Claim(Strict):
    paper: str                     # who claims it
    claim: str                     # the claim, in one sentence
    paper_value: str               # the paper's number and setting
    value: Statistic
    op: Literal["<", ">"]
    than: Union[float, list[Statistic]]
    scale: float = Field(1.0, gt=0)
    confidence: float = Field(0.95, gt=0, lt=1)
    note: Optional[str] = None

    @model_validator(mode="after")
    def _than(self):
        if isinstance(self.than, list) and not self.than:
            raise ValueError("than: list at least one statistic, or give a number")
        if not isinstance(self.than, list) and self.scale != 1.0:
            raise ValueError("scale multiplies statistics in `than`; with a number, write the number itself")
        return self

    def statistics(self) -> list:
        return [self.value] + (self.than if isinstance(self.than, list) else [])

    def studies(self) -> set[str]:
        return set().union(*(s.studies() for s in self.statistics()))

    def rule_text(self) -> str:
        if not isinstance(self.than, list):
            return f"{self.value.text()} {self.op} {self.than:g}"
        scale = "" if self.scale == 1.0 else f"{self.scale:g} x "
        targets = self.than[0].text() if len(self.than) == 1 else "each of " + "; ".join(t.text() for t in self.than)
        return f"{self.value.text()} {self.op} {scale}{targets}"


def check_claims(claims: dict[str, Claim], studies: dict) -> None:
    """Every study a claim reads is in params, and every score's run is one of that study's runs."""
    def walk(stat, where):
        if isinstance(stat, Difference):
            for part in stat.minus:
                walk(part, where)
            return
        if stat.study not in studies:
            raise ValueError(f"claims.{where}: study '{stat.study}' is not in studies ({', '.join(studies)})")
        if isinstance(stat, Score) and stat.run not in studies[stat.study].runs:
            raise ValueError(f"claims.{where}: run '{stat.run}' is not one of studies.{stat.study}.runs")
        if isinstance(stat, Cell) and stat.table not in studies[stat.study].tables:
            raise ValueError(f"claims.{where}: table '{stat.table}' is not one of the {stat.study} study's tables "
                             f"({', '.join(t for t in studies[stat.study].tables if t.endswith('.csv'))})")

    for name, claim in claims.items():
        for stat in claim.statistics():
            walk(stat, name)
