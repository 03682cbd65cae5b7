"""Feature extractors for torch-fidelity: our classifier (registered) and a local-weights Inception.

Every score is labelled with the extractor that produced it and the SHA-256 of its weights.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch_fidelity
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

from ganpriors.data.datasets import to_unit_range
from ganpriors.errors import GanpriorsError
from ganpriors.io import sha256_file

CLASSIFIER_NAME = "ganpriors-classifier"


class ClassifierFeatureExtractor(FeatureExtractorBase):
    """The pipeline's Fashion-MNIST CNN as a torch-fidelity feature extractor.

    Input: uint8 N x 1 x 28 x 28. Features: 'features' (penultimate layer, for FID/KID/PRC) and
    'logits_unbiased' (for IS), mirroring Inception's '2048' and 'logits_unbiased'.
    """

    def __init__(self, name, features_list, feature_extractor_weights_path=None, **kwargs):
        super().__init__(name, features_list)
        from ganpriors.metrics.classifier import load_classifier

        if feature_extractor_weights_path is None:
            raise GanpriorsError("the classifier feature extractor needs the classifier weights file")
        self.model = load_classifier(Path(feature_extractor_weights_path))

    @staticmethod
    def get_provided_features_list():
        return "features", "logits_unbiased"

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return {"isc": "logits_unbiased", "fid": "features", "kid": "features", "prc": "features"}[metric]

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 1, 28, 28, dtype=torch.uint8)

    def forward(self, x):
        if x.dtype != torch.uint8 or x.dim() != 4:
            raise ValueError(f"expected uint8 N x C x 28 x 28 images, got {x.dtype} {tuple(x.shape)}")
        if x.shape[1] != 1:
            x = x.float().mean(1, keepdim=True).round().to(torch.uint8)
        features, logits = self.model.features_and_logits(to_unit_range(x))
        out = {"features": features, "logits_unbiased": logits}
        return tuple(out[name] for name in self.features_list)


if CLASSIFIER_NAME not in FEATURE_EXTRACTORS_REGISTRY:
    torch_fidelity.register_feature_extractor(CLASSIFIER_NAME, ClassifierFeatureExtractor)


@dataclass
class Extractor:
    """A torch-fidelity extractor plus how to feed it and what to call it in the metrics."""

    module: FeatureExtractorBase
    label: str  # the name written next to every score
    weights_sha256: str
    fid_layer: str
    isc_layer: str
    channels: int  # channels the extractor expects (grayscale images are repeated)


def _create(name: str, layers: list[str], weights: Path, device: torch.device) -> FeatureExtractorBase:
    from torch_fidelity.utils import create_feature_extractor

    return create_feature_extractor(name, layers, cuda=False, verbose=False,
                                    feature_extractor_weights_path=str(weights)).to(device)


class ClassifierFeatures:
    @staticmethod
    def build(settings, classifier_path: Path, device: torch.device) -> Extractor:
        from ganpriors.io import load_tensors

        module = _create(CLASSIFIER_NAME, ["features", "logits_unbiased"], classifier_path, device)
        name = load_tensors(classifier_path, "classifier weights")[1].get("name")
        digest = sha256_file(classifier_path)
        # Scores are comparable only within one set of weights: the label names them.
        which = f"pinned {name}" if name and name != "retrained" else "trained by this pipeline"
        return Extractor(module, f"{CLASSIFIER_NAME} {digest[:12]} (Fashion-MNIST CNN, {which})",
                         digest, "features", "logits_unbiased", 1)


class InceptionFeatures:
    """torch-fidelity's inception-v3-compat with a local weights file (no downloads on this machine)."""

    @staticmethod
    def build(settings, classifier_path: Path, device: torch.device) -> Extractor:
        weights = Path(settings.weights) if settings.weights else None
        if weights is None or not weights.is_file():
            raise GanpriorsError(
                f"eval.feature_extractor.weights = {settings.weights!r}: inception-v3-compat needs a local "
                "weights file (pt_inception-2015-12-05-6726825d.pth); set its path or use name: classifier"
            )
        # torch-fidelity unpickles this file with weights_only=False; refuse anything but plain tensors first.
        from ganpriors.io import load_checkpoint

        load_checkpoint(weights, "Inception weights")
        module = _create("inception-v3-compat", ["2048", "logits_unbiased"], weights, device)
        return Extractor(module, "inception-v3-compat", sha256_file(weights), "2048", "logits_unbiased", 3)
