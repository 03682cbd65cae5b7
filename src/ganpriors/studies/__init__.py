"""Study plugins (params `studies.<name>.kind`): one module per kind, listed in SPECS.

A new kind of study: a module here with a Study subclass (see base.py), its line in SPECS, and
its report (and probe) functions; the pipeline, both tools' declarations and the report stage
pick it up from there.
"""
from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from ganpriors.studies.base import Study
from ganpriors.studies.maemgan import MAEMGAN_PAPER_ROWS, MaemganStudy
from ganpriors.studies.mode_coverage import ModeCoverageStudy
from ganpriors.studies.nemgan import NemganProbeSettings, NemganStudy
from ganpriors.studies.prior_vs_midpoint import PriorVsMidpointStudy
from ganpriors.studies.stylegenes import StyleGenesProbeSettings, StyleGenesStudy
from ganpriors.studies.survey import SurveyProbeSettings, SurveyStudy

SPECS = (PriorVsMidpointStudy, StyleGenesStudy, NemganStudy, MaemganStudy, ModeCoverageStudy, SurveyStudy)
StudySettings = Annotated[Union[SPECS], Field(discriminator="kind")]


def has_probe(study: Study) -> bool:
    return study.has_probe


def report_outputs(name: str, study: Study) -> list[str]:
    return study.outputs(name)


__all__ = ["SPECS", "Study", "StudySettings", "has_probe", "report_outputs", "MAEMGAN_PAPER_ROWS",
           "NemganProbeSettings", "StyleGenesProbeSettings", "SurveyProbeSettings"]
