"""Generator/discriminator architectures, looked up by params `model.net` (see ganpriors.registry)."""
from __future__ import annotations

from ganpriors import registry


def build_nets(model_settings, image_shape=(1, 28, 28)):
    """Return (generator, discriminator) for the configured architecture."""
    return registry.resolve(registry.NETS, model_settings.net)(model_settings, image_shape)
