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
    "mlp": "ganpriors.nets.mlp:build_mlp",  # 2-D mixtures (mode-coverage benchmarks)
}

LOSSES = {
    "nonsaturating": "ganpriors.losses:NonSaturatingLoss",
    "hinge": "ganpriors.losses:HingeLoss",
    "wgan": "ganpriors.losses:WassersteinLoss",  # no penalty: needs a constrained critic (d_norm spectral)
    "wgan-gp": "ganpriors.losses:WassersteinGPLoss",
}

# Terms added to the adversarial losses, composable per run (params `regularisers:` mapping).
REGULARISERS = {
    "mode_matching": "ganpriors.regularisers.mode_matching:ModeMatching",
    # MaEM-GAN (Liu et al., AAAI 2023), on the discriminator's m-dimensional embedding:
    "rb_maem": "ganpriors.regularisers.rb_maem:ReplayBufferEntropy",
    "dlle": "ganpriors.regularisers.dlle:LocalLinearity",
    "disomap": "ganpriors.regularisers.disomap:Isometry",
}

# Training data other than Fashion-MNIST (params `runs.<run>.dataset.kind`; see ganpriors.data.specs).
DATASETS = {
    "gaussian_ring": "ganpriors.data.benchmarks:MixtureData",
    "gaussian_grid": "ganpriors.data.benchmarks:MixtureData",
    "stacked": "ganpriors.data.benchmarks:StackedData",
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
