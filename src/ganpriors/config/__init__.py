"""params.yaml: the core schema and loading (core), one-line errors (errors).

The names below are the package's public configuration API; components' settings live with the
components (ganpriors.priors.specs, data.specs, nets.specs, regularisers.specs, studies).
"""
from ganpriors.config.core import (DEFAULT_PARAMS, ClassifierSettings, DataSettings, Defaults, EvalSettings,
                                   FakeSettings, FeatureExtractorSettings, ModelSettings, Params, RealSettings,
                                   ReportSettings, ResolvedRun, TrainSettings, ViewSettings, deep_merge, load_params,
                                   read_yaml, validate_params)
from ganpriors.pipeline.tracking import STAGE_PARAMS, get_path, stage_params, write_params_stamp
from ganpriors.regularisers.specs import (IsometrySettings, LocalLinearitySettings, ModeMatchingSettings,
                                          ReplayBufferEntropySettings)
from ganpriors.studies import MAEMGAN_PAPER_ROWS, NemganProbeSettings, StyleGenesProbeSettings

__all__ = ["DEFAULT_PARAMS", "ClassifierSettings", "DataSettings", "Defaults", "EvalSettings", "FakeSettings",
           "FeatureExtractorSettings", "ModelSettings", "Params", "RealSettings", "ReportSettings", "ResolvedRun",
           "TrainSettings", "ViewSettings", "deep_merge", "load_params", "read_yaml", "validate_params",
           "STAGE_PARAMS", "get_path", "stage_params", "write_params_stamp", "IsometrySettings",
           "LocalLinearitySettings", "ModeMatchingSettings", "ReplayBufferEntropySettings", "MAEMGAN_PAPER_ROWS",
           "NemganProbeSettings", "StyleGenesProbeSettings"]
