"""Generator/discriminator architectures, looked up by params `model.net` (see ganpriors.registry)."""
from __future__ import annotations

from ganpriors import registry


def build_nets(model_settings, image_shape=(1, 28, 28), n_classes: int | None = None,
               feature_dim: int | None = None):
    """Return (generator, discriminator) for the configured architecture; a class-conditional one
    (its spec's `conditional`) is built for `n_classes` classes, an instance-conditional one (IC-GAN,
    its spec's `instance_conditional`) for instance features of `feature_dim` values."""
    builder = registry.resolve(registry.NETS, model_settings.net)
    spec = registry.NETS.spec(model_settings.net)
    if spec.instance_conditional:
        if feature_dim is None:
            raise ValueError(f"model.net {model_settings.net!r} is instance-conditional: it is built for a "
                             "feature size")
        return builder(model_settings, image_shape, feature_dim)
    if not spec.conditional:
        return builder(model_settings, image_shape)
    if n_classes is None:
        raise ValueError(f"model.net {model_settings.net!r} is class-conditional: it is built for a number of classes")
    return builder(model_settings, image_shape, n_classes)
