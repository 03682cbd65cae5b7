"""Run definitions of the survey systems at test scale (params.yaml holds none of them yet: the
survey study wires them later), built on the quick configuration, the tiny data they train on, and
helpers for a few training steps and a bitwise resume. Tiny nets at batch size 8 keep each step to
milliseconds."""
from __future__ import annotations

import copy

import torch

from ganpriors.config import validate_params
from ganpriors.config.core import read_yaml
from ganpriors.priors import build_prior
from ganpriors.train.batch import TrainingData
from ganpriors.train.state import TrainState

from conftest import QUICK
from state_helpers import assert_resumes_bitwise as resumes_bitwise
from state_helpers import images_and_labels, saved_and_loaded, steps  # noqa: F401  (re-exported to the tests)

BATCH = 8
NORMAL = {"kind": "normal", "loc": 0.0, "scale": 1.0}
UNIFORM = {"kind": "uniform", "low": -1.0, "high": 1.0}

PINNED = dict(read_yaml(QUICK.parent.parent / "params.yaml")["classifier"]["pinned"])
_TINY = {"z_dim": 16, "g_channels": 8, "d_channels": 8, "d_norm": "spectral"}
_TTUR = {"loss": "hinge", "lr_d": 4.0e-4, "lr_g": 1.0e-4, "beta1": 0.0, "beta2": 0.9, "batch_size": BATCH}

RUNS = {
    # The class-conditional systems.
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
    # ADC-GAN's comparison: the same nets with AC-GAN's K-way classifier.
    "ac": {"prior": {"kind": "normal"}, "model": {"net": "biggan", "d_projection": False, **_TINY},
           "train": {**_TTUR, "n_critic": 2}, "regularisers": {"ac": {}}},
    # BigGAN's ablation: the whole z into the first layer (hierarchical z off).
    "biggan_flat": {"prior": {"kind": "normal"}, "model": {"net": "biggan", "hierarchical": False, **_TINY},
                    "train": {**_TTUR, "beta2": 0.999}, "regularisers": {"orthogonal": {}}},
    # The unconditional systems.
    # Arjovsky et al. 2017: RMSProp 5e-5, 5 critic updates, critic weights clipped to [-0.01, 0.01].
    "wgan_clip": {"prior": NORMAL,
                  "train": {"loss": "wgan", "optimizer": "rmsprop", "lr_g": 5.0e-5, "lr_d": 5.0e-5, "n_critic": 5},
                  "regularisers": {"weight_clip": {"clip": 0.01}}},
    # Gulrajani et al. 2017: a critic without batch norm, Adam (0, 0.9).
    "wgan_gp": {"prior": NORMAL, "model": {"d_norm": "layer"},
                "train": {"loss": "wgan-gp", "lr_g": 1.0e-4, "lr_d": 1.0e-4, "beta1": 0.0, "beta2": 0.9, "n_critic": 5}},
    # LOGAN (Wu et al. 2019) on the DCGAN nets: U(-1, 1) latents, spectral-norm D, hinge loss.
    "logan": {"prior": UNIFORM, "model": {"d_norm": "spectral"},
              "train": {"loss": "hinge", "beta1": 0.0, "beta2": 0.999},
              "regularisers": {"logan": {"alpha": 0.9, "beta": 1.0, "steps": 2, "mask_probability": 0.5,
                                         "weight": 3.0}}},
    # U-Net GAN (Schönfeld et al. 2020): U-Net D at 32 x 32, BCE on both heads, CutMix warming up.
    "unet": {"prior": NORMAL, "model": {"net": "unet", "d_norm": "spectral"},
             "train": {"loss": "unet", "lr_g": 1.0e-4, "lr_d": 4.0e-4, "beta1": 0.0, "beta2": 0.999},
             "regularisers": {"cutmix": {"probability": 0.5, "warmup": 2}}},
}
CONDITIONAL = ("sagan", "biggan", "adc", "ac", "biggan_flat")  # the runs whose nets are class-conditional

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


def survey_raw(*names: str) -> dict:
    """The quick configuration with the named survey runs added."""
    return raw_params(**{name: RUNS[name] for name in names})


def survey_train_run(name: str, raw: dict | None = None, **train):
    run = validate_params(raw or survey_raw(name)).resolve_run(name)
    return run.model_copy(update={"train": run.train.model_copy(update={"batch_size": BATCH, **train})})


def survey_state(name: str, hooks: dict | None = None, checkpoint: dict | None = None, run=None) -> TrainState:
    run = run or survey_train_run(name)
    data = TrainingData(*images_and_labels(), n_groups=10)
    return TrainState.create(run, 0, data, build_prior(run.prior), "cpu", checkpoint, hooks)


def assert_resumes_bitwise(name: str, before: int = 2, after: int = 2) -> TrainState:
    """A survey run of RUNS through state_helpers.assert_resumes_bitwise."""
    return resumes_bitwise(lambda checkpoint: survey_state(name, checkpoint=checkpoint), before, after)
