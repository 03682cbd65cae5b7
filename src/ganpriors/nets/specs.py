"""The generator/discriminator architectures a run may use (params `model.net`), torch-free.

Each entry names its builder (`impl`: build(model_settings, data_shape) -> (G, D)) and checks
the run's other settings against what the architecture supports. `ganpriors.registry.NETS` is
derived from SPECS. A new net: a class here and its module under ganpriors.nets.
"""
from __future__ import annotations


class NetSpec:
    kind: str
    impl: str

    @staticmethod
    def check(run) -> None:
        """Raise ValueError when the architecture cannot serve `run` (a ResolvedRun)."""


def check_penalty_norm(run) -> None:
    """WGAN-GP's penalty is on each sample's input gradient: batch norm couples the samples of a batch
    (Gulrajani et al. 2017 sec. 4; the official critic has no normalisation)."""
    if run.train.loss == "wgan-gp" and run.model.d_norm == "batch":
        raise ValueError("train.loss wgan-gp penalises each sample's gradient, which batch norm couples: set "
                         "model.d_norm to none or layer (or spectral)")


class DCGAN(NetSpec):
    """Radford et al.'s DCGAN at 28 x 28 (one or several channels)."""

    kind, impl = "dcgan", "ganpriors.nets.dcgan:build_dcgan"

    @staticmethod
    def check(run) -> None:
        check_penalty_norm(run)


class MLP(NetSpec):
    """Fully connected G and D for the 2-D mixtures of the mode-coverage benchmarks."""

    kind, impl = "mlp", "ganpriors.nets.mlp:build_mlp"

    @staticmethod
    def check(run) -> None:
        if not (run.dataset is not None and run.dataset.points):
            raise ValueError(f"model.net {run.model.net!r} does not fit the data: use net mlp for the 2-D "
                             "gaussian_ring/gaussian_grid datasets and dcgan for images")
        if run.model.d_norm not in ("none", "spectral"):
            raise ValueError(f"model.d_norm {run.model.d_norm!r}: the mlp discriminator supports none or spectral")


SPECS = (DCGAN, MLP)
