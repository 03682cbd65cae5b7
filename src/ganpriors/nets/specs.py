"""The generator/discriminator architectures a run may use (params `model.net`), torch-free.

Each entry names its builder (`impl`: build(model_settings, data_shape) -> (G, D)) and checks
the run's other settings against what the architecture supports. `ganpriors.registry.NETS` is
derived from SPECS. A new net: a class here and its module under ganpriors.nets.
"""
from __future__ import annotations


class NetSpec:
    kind: str
    impl: str
    # A class-conditional net is built with the run's number of classes (impl(model, shape,
    # n_classes)) and trained on fakes with uniformly drawn labels (ganpriors.train.conditioning).
    conditional = False
    pixel_head = False  # D provides DOut.pixel_logits (what train.loss unet and CutMix read)
    # An instance-conditional net (IC-GAN) is built for the instance features' size
    # (impl(model, shape, feature_dim)) and conditioned on features h of training instances
    # (ganpriors.train.instance_data; the run's `instances` settings).
    instance_conditional = False
    hierarchical_z = False  # z split into chunks fed to G's blocks (BigGAN); model.hierarchical turns it off

    @staticmethod
    def check(run) -> None:
        """Raise ValueError when the architecture cannot serve `run` (a ResolvedRun)."""

    @staticmethod
    def feature_dim(model) -> int | None:
        """Size of D's pooled `features` head (a vector per sample), or None when D's features
        are not a vector (heads on them, ADC-GAN's classifier, need one)."""
        return None


def _no_attention(run) -> None:
    if run.model.attention:
        raise ValueError(f"model.attention {run.model.attention}: the {run.model.net} net has no self-attention "
                         "blocks; leave it empty or use net sagan or biggan")


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
    """Radford et al.'s DCGAN at 28 x 28, 32 x 32 or 64 x 64 (one or several channels)."""

    kind, impl = "dcgan", "ganpriors.nets.dcgan:build_dcgan"

    @staticmethod
    def check(run) -> None:
        _no_attention(run)
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
        _no_attention(run)
        check_loss(run)


class ConditionalResNet(NetSpec):
    """The class-conditional ResNet nets at 32 x 32 (ganpriors.nets.conditional): spectral norm in G
    and D, conditional batch norm in G, a projection discriminator; 28 x 28 data is padded (D) and
    cropped (G) at the nets' edges (ganpriors.nets.resolution)."""

    conditional = True
    SIZE = 32
    # Feature-map sides after each block: G 4 -> 8 -> 16 -> 32, D 32 -> 16 -> 8 -> 4. The
    # attention list applies to both nets, so only sides both have can hold a block.
    G_SIDES, D_SIDES = (8, 16, 32), (16, 8, 4)

    @classmethod
    def check(cls, run) -> None:
        net = run.model.net
        if run.dataset is not None:
            raise ValueError(f"dataset.kind {run.dataset.kind!r} has no class labels, which model.net {net!r} "
                             "(class-conditional) needs; allowed: no dataset (Fashion-MNIST, optionally under a view)")
        cls.check_resnet(run)

    @classmethod
    def check_resnet(cls, run) -> None:
        """Normalisation and attention, whatever conditions the nets."""
        net = run.model.net
        if run.model.d_norm != "spectral":
            raise ValueError(f"model.d_norm {run.model.d_norm!r}: the {net} net spectral-normalises G and D; "
                             "set model.d_norm: spectral")
        sides = sorted(set(cls.G_SIDES) & set(cls.D_SIDES))
        for side in run.model.attention:
            if side not in sides:
                raise ValueError(f"model.attention {run.model.attention}: the {net} net has no {side} x {side} "
                                 f"feature map in both G and D; allowed: {', '.join(map(str, sides))}")
        if len(set(run.model.attention)) != len(run.model.attention):
            raise ValueError(f"model.attention {run.model.attention} lists a resolution twice")
        check_loss(run)
        if run.model.attention and min(run.model.g_channels, run.model.d_channels) < 8:
            raise ValueError(f"model.g_channels {run.model.g_channels} and model.d_channels {run.model.d_channels} "
                             "must be at least 8 with attention (queries and keys have channels / 8)")

    @staticmethod
    def feature_dim(model) -> int:
        return 2 * model.d_channels


class SAGAN(ConditionalResNet):
    """Zhang et al.'s SAGAN in miniature: per-class conditional batch norm in G, self-attention."""

    kind, impl = "sagan", "ganpriors.nets.conditional:build_sagan"


class BigGAN(ConditionalResNet):
    """Brock et al.'s BigGAN in miniature: a shared class embedding and hierarchical z (one chunk
    for the first layer, one per G block with the embedding) into every conditional batch norm."""

    kind, impl = "biggan", "ganpriors.nets.conditional:build_biggan"
    hierarchical_z = True
    SLOTS = len(ConditionalResNet.G_SIDES) + 1

    @classmethod
    def check(cls, run) -> None:
        super().check(run)
        if run.model.hierarchical and run.model.z_dim % cls.SLOTS:
            raise ValueError(f"model.z_dim {run.model.z_dim} must be a multiple of {cls.SLOTS}: the biggan net "
                             f"splits z into {cls.SLOTS} equal chunks (the first layer's, and one per G block)")


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
        _no_attention(run)
        if run.train.loss != "unet":
            raise ValueError(f"model.net unet trains its per-pixel head with train.loss unet, not {run.train.loss}")


class ICGAN(BigGAN):
    """Casanova et al.'s IC-GAN in miniature, on the BigGAN nets: the instance feature h through a
    linear map (in place of the shared class embedding) with a chunk of z into every conditional
    batch norm, and D's projection <W h, phi(x)>."""

    kind, impl = "icgan", "ganpriors.nets.instance_conditional:build_icgan"
    conditional, instance_conditional = False, True

    @classmethod
    def check(cls, run) -> None:
        from ganpriors.data.instance_settings import instances_need_images

        if run.dataset is not None:
            raise ValueError(instances_need_images(run))
        if run.instances is None:
            raise ValueError(f"model.net {run.model.net!r} conditions on training instances: set instances "
                             "(k, count, classifier; see docs/survey.md)")
        cls.check_resnet(run)
        if run.model.hierarchical and run.model.z_dim % cls.SLOTS:
            raise ValueError(f"model.z_dim {run.model.z_dim} must be a multiple of {cls.SLOTS}: the {run.model.net} "
                             f"net splits z into {cls.SLOTS} equal chunks (the first layer's, and one per G block)")


SPECS = (DCGAN, MLP, SAGAN, BigGAN, ICGAN, UNet)
