"""Settings of IC-GAN's instance conditioning (params `runs.<run>.instances`), torch-free.

An instance-conditional run (model.net: icgan) conditions G and D on the feature vector h_i of a
training instance i, and draws its real images from the k nearest neighbours of i in feature space
(ganpriors.data.neighbourhoods). The features are the pinned evaluation classifier's penultimate
activations, the FID's feature space (the stand-in for the paper's self-supervised SwAV
features). The run names those weights itself (`classifier`), so that the train stage's params
(`runs.<run>`) track them; validation checks they are params `classifier.pinned`.
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from ganpriors.data.settings import viewed_train_size
from ganpriors.schema import PinnedWeights, Strict


class InstanceSettings(Strict):
    # Instances M, chosen from the run's training images by the named stream 'instance_set';
    # null: every training image is an instance (the paper's M = N).
    count: Optional[int] = Field(None, ge=1)
    # Neighbours of each instance (the instance itself excluded, as the official code does).
    k: int = Field(10, ge=1)
    # The feature extractor's weights: must be params `classifier.pinned`.
    classifier: PinnedWeights

    def check(self, run) -> None:
        """k and count against the run's training images; the net must be instance-conditional."""
        from ganpriors import registry

        spec = registry.NETS.spec(run.model.net)
        if not getattr(spec, "instance_conditional", False):
            allowed = sorted(k for k in registry.NETS if getattr(registry.NETS.spec(k), "instance_conditional", False))
            raise ValueError(f"instances: model.net {run.model.net!r} is not instance-conditional; remove "
                             f"instances or use net {', '.join(allowed)}")
        if run.dataset is not None:
            raise ValueError(instances_need_images(run))
        n = viewed_train_size(run.view)
        what = "Fashion-MNIST's training split" + (" under the run's view" if run.view is not None else "")
        if self.count is not None and self.count > n:
            raise ValueError(f"instances.count {self.count:,} is larger than the {n:,} images of {what}; "
                             f"set it to at most {n:,} (or null: every image)")
        if self.k > n - 1:
            raise ValueError(f"instances.k {self.k:,} is larger than the {n - 1:,} other images of {what} "
                             f"(an instance is not its own neighbour); set it to at most {n - 1:,}")

    def check_params(self, params) -> None:
        """The conditioning features must be the FID's: params `classifier.pinned`."""
        pinned = params.classifier.pinned
        if pinned is None:
            raise ValueError("IC-GAN conditions on the pinned classifier's features, but classifier.pinned is "
                             "null (a retrained classifier); pin the classifier")
        if self.classifier != pinned:
            raise ValueError(f"{self.classifier.name} {self.classifier.sha256[:12]}... is not classifier.pinned "
                             f"({pinned.name} {pinned.sha256[:12]}...): IC-GAN conditions on the evaluation "
                             "classifier's features; copy classifier.pinned here")


def instances_need_images(run) -> str:
    return (f"dataset.kind {run.dataset.kind!r} has no Fashion-MNIST images, whose classifier features "
            f"model.net {run.model.net!r} (IC-GAN, instance-conditional) needs; allowed: no dataset "
            "(Fashion-MNIST, optionally under a view)")
