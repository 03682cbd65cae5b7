"""The evaluate stage for runs on a mode-coverage benchmark (params `runs.<run>.dataset`).

Each benchmark carries its protocol in its dataset spec (ganpriors.data.specs): how many samples are
scored and what counts as a covered mode. Keyed by dataset kind in SCORERS.
"""
from __future__ import annotations

import torch

from ganpriors.data.specs import parse_dataset
from ganpriors.metrics import mode_coverage


@torch.no_grad()
def _samples(model, n: int, rng, batch: int) -> torch.Tensor:
    """n samples of a TrainedModel, drawn in batches, on the CPU."""
    return torch.cat([model.sample(min(batch, n - i), rng).cpu() for i in range(0, n, batch)])


def score_mixture(result, settings, seed, model, rng, classifier_path, data_path, device) -> None:
    """Modes covered, share of high-quality points, KL of the mode histogram to uniform."""
    spec = parse_dataset(model.meta["dataset"])
    points = _samples(model, spec.eval_samples, rng, settings.batch_size)
    result["protocol"].update({
        "n_fake": spec.eval_samples, "quality_std": spec.quality_std, "mode_std": spec.std,
        "feature_extractor": "none (distance to the nearest mode centre in the data space)",
        "covered": "a mode with at least one high-quality point",
    })
    result["scores"] = {"prior": mode_coverage.mixture_coverage(points, mode_coverage.mixture_centers(spec), spec.std,
                                                                spec.quality_std)}


def score_stacked(result, settings, seed, model, rng, classifier_path, data_path, device) -> None:
    """Each channel labelled by the evaluation classifier -> one of 10^channels modes. The same count
    on real stacked test images is the reference: the classifier is not perfect, so even the data
    does not score 1000 modes and KL 0 exactly."""
    from ganpriors.data.benchmarks import stack_images
    from ganpriors.data.datasets import load_split, to_uint8
    from ganpriors.io import sha256_file
    from ganpriors.metrics.classifier import load_classifier

    spec = parse_dataset(model.meta["dataset"])
    classifier = load_classifier(classifier_path).to(device)
    fake = to_uint8(_samples(model, spec.eval_samples, rng, settings.batch_size))
    fake_labels = mode_coverage.channel_labels(classifier, fake.to(device), settings.batch_size).cpu()

    test = load_split(data_path, "test")
    real, true_labels = stack_images(test.images, test.labels, spec.eval_samples, spec.channels,
                                     torch.Generator().manual_seed(settings.fake.seed))
    real_labels = mode_coverage.channel_labels(classifier, real.to(device), settings.batch_size).cpu()
    result["protocol"].update({
        "n_fake": spec.eval_samples, "n_real": spec.eval_samples, "split": "test",
        "feature_extractor": "classifier (Fashion-MNIST CNN trained by this pipeline), one label per channel",
        "feature_extractor_weights_sha256": sha256_file(classifier_path),
        "covered": "a class tuple with at least one sample",
    })
    real_scores = mode_coverage.histogram_coverage(mode_coverage.mode_ids(real_labels), spec.n_modes)
    real_scores["channel_accuracy"] = float((real_labels == true_labels).float().mean())
    result["scores"] = {
        "prior": mode_coverage.histogram_coverage(mode_coverage.mode_ids(fake_labels), spec.n_modes),
        "real": real_scores,
    }


SCORERS = {"gaussian_ring": score_mixture, "gaussian_grid": score_mixture, "stacked": score_stacked}
