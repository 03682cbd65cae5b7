"""Lazy registries: one line per method, resolved on first use.

Each axis of variation (priors, networks, losses, feature extractors) maps a params `kind`/name to
"module:attribute". Entries are strings so that validating params.yaml (done by the Snakefile on
every invocation) never imports torch.
"""
from __future__ import annotations

import importlib

PRIORS = {
    "normal": "ganpriors.priors.parametric:NormalPrior",
    "uniform": "ganpriors.priors.parametric:UniformPrior",
    "gamma": "ganpriors.priors.parametric:GammaPrior",
    "cauchy": "ganpriors.priors.parametric:CauchyPrior",
    "nonparametric": "ganpriors.priors.nonparametric:NonParametricPrior",
    "gene_bank": "ganpriors.priors.gene_bank:GeneBankPrior",
    "mapped_normal": "ganpriors.priors.mapped_normal:MappedNormalPrior",
    "modes": "ganpriors.priors.modes:ModesPrior",
}

NETS = {
    "dcgan": "ganpriors.nets.dcgan:build_dcgan",
}

LOSSES = {
    "nonsaturating": "ganpriors.losses:NonSaturatingLoss",
    "hinge": "ganpriors.losses:HingeLoss",
    "wgan-gp": "ganpriors.losses:WassersteinGPLoss",
}

# Terms added to the adversarial losses, composable per run (params `regularisers:` mapping).
REGULARISERS = {
    "mode_matching": "ganpriors.regularisers.mode_matching:ModeMatching",
}

# Study-specific measurements on a trained run (params `studies.<name>.kind`).
PROBES = {
    "stylegenes": "ganpriors.probes.stylegenes:probe_stylegenes",
    "nemgan": "ganpriors.probes.nemgan:probe_nemgan",
}

FEATURE_EXTRACTORS = {
    "classifier": "ganpriors.metrics.features:ClassifierFeatures",
    "inception-v3-compat": "ganpriors.metrics.features:InceptionFeatures",
}


def resolve(table: dict[str, str], name: str):
    """Import and return the object registered under `name`."""
    module, attr = table[name].split(":")
    return getattr(importlib.import_module(module), attr)
