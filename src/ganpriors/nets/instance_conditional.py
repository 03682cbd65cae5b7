"""IC-GAN's nets (Casanova et al. 2021) in miniature: the BigGAN nets of ganpriors.nets.conditional
conditioned on an instance feature h (B x feature_dim, L2-normalised) instead of a class label.

G: hierarchical z as BigGAN; the shared class embedding becomes a linear map of h (the official
code's `shared_feat`), concatenated with chunk i of z into block i's conditional batch norms.
D: the projection discriminator with <W h, phi(x)> in place of <embed(y), phi(x)> (the official
code's `linear_feat`), W spectrally normalised like D's other layers.
"""
from __future__ import annotations

from torch import nn

from ganpriors.nets.blocks import sn
from ganpriors.nets.conditional import BigGANGenerator, ProjectionDiscriminator, _shape


class InstanceGenerator(BigGANGenerator):
    """G(z, h). The map of h is a plain linear layer with a bias (no spectral norm, as BigGAN's
    shared embedding it replaces) and exempt from the orthogonal regulariser (`shared.`)."""

    @staticmethod
    def shared_map(feature_dim: int, shared_dim: int, init) -> nn.Module:
        shared = nn.Linear(feature_dim, shared_dim)
        init(shared.weight)
        return shared


class InstanceProjectionDiscriminator(ProjectionDiscriminator):
    """D(x, h): logit = psi(phi(x)) + <W h, phi(x)>. W has no bias: a bias b would add <b, phi(x)>,
    which psi already can."""

    @staticmethod
    def projection_map(feature_dim: int, width: int, init) -> nn.Module:
        return sn(nn.Linear(feature_dim, width, bias=False), init)


def build_icgan(model, image_shape, feature_dim: int):
    channels, size = _shape(image_shape)
    g = InstanceGenerator(model.z_dim, model.g_channels, channels, size, feature_dim, model.attention,
                          model.shared_dim, model.hierarchical)
    d = InstanceProjectionDiscriminator(model.d_channels, channels, feature_dim, model.attention,
                                        model.d_projection, nn.init.orthogonal_)
    return g, d
