"""Settings of each regulariser (params `runs.<run>.regularisers.<name>`), torch-free.

Each class names its implementation (`impl`, a ganpriors.regularisers.base.Regulariser) and
checks the run it is used in; `ganpriors.registry.REGULARISERS` is derived from SPECS. A new
regulariser: its settings class here and its module under ganpriors.regularisers.
"""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ganpriors.schema import Component


class EmbeddingRegulariser(Component):
    """MaEM-GAN's terms on the discriminator's m-dimensional embedding compare directions."""

    def check(self, run) -> None:
        if run.model.d_outputs < 2:
            raise ValueError(f"regulariser {self.kind} compares embedding directions (cosine): set model.d_outputs "
                             "to the embedding size m >= 2 (16 in the paper)")


class ModeMatchingSettings(Component):
    """NEMGAN's inversion network and mode-matching loss (Mishra et al.), with the learned mode
    prior update of NEMGAN-P when the run's prior is `modes` with learnable: true."""

    kind: ClassVar[str] = "mode_matching"
    impl = "ganpriors.regularisers.mode_matching:ModeMatching"
    z_weight: float = Field(10.0, ge=0)        # 10 * MSE(E_z(G(z)), z)
    mode_weight: float = Field(1.0, ge=0)      # cross-entropy(E_c(G(z)), c)
    channels: int = Field(32, ge=1)            # width of the inversion network
    lr: float = Field(1.0e-4, gt=0)            # inversion network's Adam (betas from train)
    n_sup: int = Field(0, ge=0)                # labelled real images for E_c (oversampled to balance)
    sup_weight: float = Field(1.0, ge=0)
    prior_lr: float = Field(1.0e-3, gt=0)      # Adam on the mode logits (NEMGAN-P)
    prior_warmup: int = Field(0, ge=0)         # generator steps before the prior update starts

    def check(self, run) -> None:
        if run.prior.kind != "modes":
            raise ValueError("regulariser mode_matching needs prior kind 'modes'")
        if run.dataset is not None:
            raise ValueError(f"dataset {run.dataset.kind} cannot be combined with a view or mode_matching "
                             "(both need labelled Fashion-MNIST images)")


class ReplayBufferEntropySettings(EmbeddingRegulariser):
    """RB-MaEM (Liu et al., AAAI 2023): the generator minimises cos(V0, V*) + norm_weight ||V0|| for
    each generated embedding V0 and its nearest (cosine) neighbour V* in a FIFO buffer of the last
    buffer_size generated embeddings, weighted by `weight` (the paper's sigma)."""

    kind: ClassVar[str] = "rb_maem"
    impl = "ganpriors.regularisers.rb_maem:ReplayBufferEntropy"
    weight: float = Field(5.0e-4, ge=0)        # sigma
    buffer_size: int = Field(1024, ge=1)
    norm_weight: float = Field(1.0e-3, ge=0)   # lambda
    warmup: int = Field(0, ge=0)               # generator steps over which the weight ramps up linearly
    # The authors' code also spreads the real embeddings inside the discriminator step (own buffer).
    real_in_discriminator: bool = False


class LocalLinearitySettings(Component):
    """DLLE: the discriminator's embedding is stable under F = a small random rotation plus Gaussian
    noise: weight * E ||D(F(x)) - D(x)||^2 on real and generated samples."""

    kind: ClassVar[str] = "dlle"
    impl = "ganpriors.regularisers.dlle:LocalLinearity"
    weight: float = Field(1.0, ge=0)
    max_angle: float = Field(10.0, ge=0, le=180)   # degrees; rotation angle ~ U(-max, max)
    noise_std: float = Field(0.01, ge=0)           # in data units ([-1, 1] for images)


class IsometrySettings(EmbeddingRegulariser):
    """DIsoMap: the embedding of a convex combination of a real and a generated sample equals the same
    combination of their embeddings: weight * E[1 - cos(D(a x + (1-a) y), a D(x) + (1-a) D(y))]."""

    kind: ClassVar[str] = "disomap"
    impl = "ganpriors.regularisers.disomap:Isometry"
    weight: float = Field(1.0, ge=0)


class OrthogonalSettings(Component):
    """BigGAN's orthogonal regularisation of G: weight * sum_W ||W W^T * (1 - I)||_F^2 (1e-4 in the
    paper), on G's weights of two or more dimensions (BigGAN's shared embedding excepted)."""

    kind: ClassVar[str] = "orthogonal"
    impl = "ganpriors.regularisers.orthogonal:OrthogonalRegularisation"
    weight: float = Field(1.0e-4, ge=0)


class GeneratorAverageSettings(Component):
    """An exponential moving average of G's weights, exported as the evaluated generator (BigGAN).
    0.9999 (BigGAN) barely moves in a few thousand steps: 1 / (1 - decay) should be a fraction of
    the run's steps."""

    kind: ClassVar[str] = "ema"
    impl = "ganpriors.regularisers.ema:GeneratorAverage"
    decay: float = Field(0.999, ge=0, lt=1)
    start: int = Field(0, ge=0)           # generator steps before averaging starts (until then: G's weights)
    # Batch-norm statistics of the exported G: standing (re-accumulated with the averaged weights,
    # BigGAN's standing stats) or average (the running statistics averaged like the weights).
    bn_stats: Literal["standing", "average"] = "standing"
    standing_batches: int = Field(16, ge=1)   # batches of train.batch_size for the standing statistics


class AuxiliaryClassifierSettings(Component):
    """ADC-GAN's classifier over 2K classes (real class y at 2y, fake class y at 2y + 1) on D's
    pooled features, trained with D; the generator term pulls towards 2y and away from 2y + 1."""

    kind: ClassVar[str] = "adc"
    impl = "ganpriors.regularisers.adc:AuxiliaryDiscriminativeClassifier"
    d_weight: float = Field(1.0, ge=0)    # lambda_D
    g_weight: float = Field(1.0, ge=0)    # lambda_G

    def check(self, run) -> None:
        from ganpriors import registry

        spec = registry.NETS.spec(run.model.net)
        if not spec.conditional or spec.feature_dim(run.model) is None:
            allowed = sorted(k for k in registry.NETS if registry.NETS.spec(k).conditional)
            raise ValueError(f"regulariser {self.kind} classifies labelled real and generated images on D's pooled "
                             f"features: model.net {run.model.net!r} is not class-conditional with pooled "
                             f"features (allowed: {', '.join(allowed)})")


class ACGANClassifierSettings(AuxiliaryClassifierSettings):
    """AC-GAN's classifier over the K classes on D's pooled features, trained with D on real and
    generated images; G's term is the cross-entropy of its samples against their labels."""

    kind: ClassVar[str] = "ac"
    impl = "ganpriors.regularisers.ac:AuxiliaryClassifier"


class WeightClipSettings(Component):
    """WGAN (Arjovsky et al. 2017): every critic parameter clamped to [-clip, clip] after each critic
    update (with train.loss wgan, train.optimizer rmsprop, lr 5e-5 and n_critic 5 in the paper)."""

    kind: ClassVar[str] = "weight_clip"
    impl = "ganpriors.regularisers.weight_clip:WeightClip"
    clip: float = Field(0.01, gt=0)

    def check(self, run) -> None:
        if run.train.loss != "wgan":
            raise ValueError(f"regulariser weight_clip bounds a WGAN critic: use train.loss wgan, not {run.train.loss}")
        if run.model.d_norm == "spectral":
            raise ValueError("regulariser weight_clip on a spectral-norm critic: spectral norm rescales the clipped "
                             "weights; set model.d_norm to batch, layer or none")


class LatentOptimisationSettings(Component):
    """LOGAN (Wu et al. 2019): `steps` natural-gradient steps dz = alpha g / (beta + |g|^2) on z
    towards a higher D(G(z)) before both updates, on a random `mask_probability` of z's elements,
    clipped to the prior's bounds; G's loss adds weight * E|dz|^2. Defaults: the paper's BigGAN-deep
    values (alpha 0.9, beta 5, 50% of the elements, w_r 300, one step)."""

    kind: ClassVar[str] = "logan"
    impl = "ganpriors.regularisers.logan:LatentOptimisation"
    alpha: float = Field(0.9, gt=0)                   # step size
    beta: float = Field(5.0, gt=0)                    # damping of the Fisher g g^T + beta I
    steps: int = Field(1, ge=1, le=20)                # latent steps per batch
    mask_probability: float = Field(0.5, gt=0, le=1)  # chance that an element of z is optimised
    weight: float = Field(300.0, ge=0)                # w_r on E|dz|^2 in G's loss


class CutMixSettings(Component):
    """U-Net GAN's CutMix consistency regulariser (Schönfeld et al. 2020): with probability r_mix
    (0 -> `probability` over `warmup` generator steps) per critic update, D's per-pixel output of a
    CutMix of real and generated images is pulled towards the same mix of their outputs
    (consistency_weight), and with `augmentation` also trained on the mask (per-pixel target M, the
    global logit labelled fake), as the released training scripts do."""

    kind: ClassVar[str] = "cutmix"
    impl = "ganpriors.regularisers.cutmix:CutMix"
    probability: float = Field(0.5, ge=0, le=1)   # r_mix after the warm-up
    warmup: int = Field(0, ge=0)                  # generator steps of the linear warm-up
    consistency_weight: float = Field(1.0, ge=0)
    augmentation: bool = True

    def check(self, run) -> None:
        from ganpriors import registry

        if not registry.NETS.spec(run.model.net).pixel_head:
            raise ValueError(f"regulariser cutmix reads a per-pixel head, which model.net {run.model.net} does not "
                             "have: use net unet")


SPECS = (ModeMatchingSettings, ReplayBufferEntropySettings, LocalLinearitySettings, IsometrySettings,
         OrthogonalSettings, GeneratorAverageSettings, AuxiliaryClassifierSettings, WeightClipSettings,
         LatentOptimisationSettings, CutMixSettings, ACGANClassifierSettings)
SETTINGS = {cls.kind: cls for cls in SPECS}
