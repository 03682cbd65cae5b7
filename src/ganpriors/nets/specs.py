"""The generator/discriminator architectures a run may use (params `model.net`), torch-free.

Each entry names its builder (`impl`: build(model_settings, data_shape) -> (G, D)) and checks
the run's other settings against what the architecture supports. `ganpriors.registry.NETS` is
derived from SPECS. A new net: a class here and its module under ganpriors.nets.
"""
from __future__ import annotations


class NetSpec:
    kind: str
    impl: str
    pixel_head = False  # D provides DOut.pixel_logits (what train.loss unet and CutMix read)

    @staticmethod
    def check(run) -> None:
        """Raise ValueError when the architecture cannot serve `run` (a ResolvedRun)."""


def check_loss(run, pixel_head: bool = False) -> None:
    """The run's loss against the critic: WGAN-GP's penalty is on each sample's input gradient, which
    batch norm couples across the batch (Gulrajani et al. 2017 sec. 4; the official critic has no
    normalisation); U-Net GAN's loss reads a per-pixel head."""
    if run.train.loss == "wgan-gp" and run.model.d_norm == "batch":
        raise ValueError("train.loss wgan-gp penalises each sample's gradient, which batch norm couples: set "
                         "model.d_norm to none or layer (or spectral)")
    if run.train.loss == "unet" and not pixel_head:
        raise ValueError(f"train.loss unet reads a per-pixel head, which model.net {run.model.net} does not have: "
                         "use net unet")


class DCGAN(NetSpec):
    """Radford et al.'s DCGAN at 28 x 28 (one or several channels)."""

    kind, impl = "dcgan", "ganpriors.nets.dcgan:build_dcgan"

    @staticmethod
    def check(run) -> None:
        check_loss(run)


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
        check_loss(run)


class UNet(NetSpec):
    """U-Net GAN (Schönfeld et al. 2020): a U-Net D with a global and a per-pixel logit, and a
    BigGAN-like ResNet G, both at 32 x 32 on images of up to 32 x 32 (padded, cropped back)."""

    kind, impl = "unet", "ganpriors.nets.unet:build_unet"
    pixel_head = True

    @staticmethod
    def check(run) -> None:
        if run.dataset is not None and run.dataset.points:
            raise ValueError(f"model.net unet is a U-Net over image pixels; dataset {run.dataset.kind} is 2-D "
                             "points: use net mlp")
        if run.model.d_norm not in ("spectral", "none"):
            raise ValueError(f"model.d_norm {run.model.d_norm!r}: the unet discriminator supports spectral (the "
                             "paper's) or none")
        if run.train.loss != "unet":
            raise ValueError(f"model.net unet trains its per-pixel head with train.loss unet, not {run.train.loss}")


SPECS = (DCGAN, MLP, UNet)
