"""Run definitions of the conditional survey systems at test scale, built on the quick
configuration (not in params.yaml: the survey study is wired later), and the tiny data they train on."""
from __future__ import annotations

import copy

import torch

from ganpriors.config import validate_params
from ganpriors.config.core import read_yaml

from conftest import QUICK

BATCH = 8
PINNED = dict(read_yaml(QUICK.parent.parent / "params.yaml")["classifier"]["pinned"])
_TINY = {"z_dim": 16, "g_channels": 8, "d_channels": 8, "d_norm": "spectral"}
_TTUR = {"loss": "hinge", "lr_d": 4.0e-4, "lr_g": 1.0e-4, "beta1": 0.0, "beta2": 0.9, "batch_size": BATCH}

RUNS = {
    # SAGAN: per-class CBN, attention at 16 x 16 in G and D, hinge, two learning rates.
    "sagan": {"prior": {"kind": "normal"}, "model": {"net": "sagan", "attention": [16], **_TINY}, "train": _TTUR},
    # BigGAN: shared embedding, hierarchical z (16 = 4 chunks of 4), orthogonal regularisation, EMA.
    "biggan": {"prior": {"kind": "normal"}, "model": {"net": "biggan", "attention": [8], **_TINY},
               "train": {**_TTUR, "beta2": 0.999},
               "regularisers": {"orthogonal": {}, "ema": {"decay": 0.9, "standing_batches": 2}}},
    # ADC-GAN on the BigGAN nets: unconditional adversarial head, 2K-way classifier, 2 D steps.
    "adc": {"prior": {"kind": "normal"}, "model": {"net": "biggan", "d_projection": False, **_TINY},
            "train": {**_TTUR, "n_critic": 2, "lr_g": 2.0e-4, "lr_d": 2.0e-4},
            "regularisers": {"adc": {}}},
}
# The instance-conditional system (trained on ganpriors.train.instance_data, not on labelled batches).
INSTANCE_RUNS = {
    # IC-GAN on the BigGAN nets: 12 instances with the pinned classifier's features, 3 neighbours
    # each (of the 64 tiny images), EMA as in every official config.
    "icgan": {"prior": {"kind": "normal"}, "model": {"net": "icgan", **_TINY},
              "train": {**_TTUR, "lr_d": 1.0e-4, "beta2": 0.999},
              "instances": {"count": 12, "k": 3, "classifier": PINNED},
              "regularisers": {"ema": {"decay": 0.9, "standing_batches": 2}}},
}


def raw_params(**runs) -> dict:
    """The quick configuration with `runs` (name -> overrides) added."""
    raw = read_yaml(QUICK)
    raw["runs"].update(copy.deepcopy(runs))
    return raw


def survey_run(name: str, **overrides):
    """A resolved run of RUNS, with top-level keys of its definition replaced by `overrides`."""
    runs = {**RUNS, **INSTANCE_RUNS}
    return validate_params(raw_params(**{name: {**runs[name], **overrides}})).resolve_run(name)


def images_and_labels(n: int = 64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g) * 2 - 1, torch.randint(0, 10, (n,), generator=g)
