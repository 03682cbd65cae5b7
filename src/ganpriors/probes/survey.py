"""The survey probe: what the benchmark table and the systems' latent experiments need beyond the
evaluate stage's scores, for one run and seed.

- parameters of G and D (D rebuilt from the run's settings; its weights are not exported) and the
  run's conditioning (none, class, instance);
- intra-FID of a class-conditional generator: for each class k, FID between
  `intra_fid_per_class` samples G(z, k) and the reference images of class k (the evaluate stage's:
  the first `eval.real.n` test images, all 10,000 in the committed study), in the evaluation
  extractor's features (Miyato & Koyama's measure; StudioGAN's iFID), and its mean over classes;
- the truncation curve of a run listed in `truncation.runs`: IS, FID, KID and precision/recall of
  `truncation.n` samples with z from N(0, I) resampled where |z_i| > threshold (BigGAN's trick),
  against the same reference images;
- IC-GAN's transfer to unseen instances: the first `held_out_instances` test images condition G
  through their classifier features; a grid of each image and `samples_per_instance` samples
  around it, and the share of those samples the classifier puts in the instance's class.

Every draw comes from torch.Generator streams seeded by the run's seed (one per measurement), so
the probe file is a function of the trained model and the settings.
"""
from __future__ import annotations

import torch

from ganpriors.data.datasets import to_uint8, to_unit_range
from ganpriors.metrics.evaluate import build_extractor, extract, real_reference, scores
from ganpriors.probes.base import Grid, ProbeContext, ProbeResult

# Seeds of the probe's streams, offset from the run's seed so that no two measurements share draws.
INTRA_FID_STREAM, TRUNCATION_STREAM, INSTANCE_STREAM, SAMPLES_STREAM = 101, 202, 303, 404


def conditioning(run) -> str:
    from ganpriors import registry

    spec = registry.NETS.spec(run.model.net)
    return "instance" if spec.instance_conditional else "class" if spec.conditional else "none"


def parameter_counts(ctx: ProbeContext) -> dict:
    """G's parameters as trained and D's as built for the run (the same architecture and sizes)."""
    from ganpriors.nets import build_nets
    from ganpriors.train.conditioning import run_classes

    model = ctx.model
    feature_dim = model.instance_features.shape[1] if model.instance_features is not None else None
    _, d = build_nets(ctx.run.model, model.data_shape, run_classes(ctx.run), feature_dim)
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    return {"g": count(ctx.generator), "d": count(d)}


def _fid(fake: torch.Tensor, real: torch.Tensor) -> float:
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

    return float(fid_statistics_to_metric(fid_features_to_statistics(fake), fid_features_to_statistics(real),
                                          False)["frechet_inception_distance"])


@torch.no_grad()
def _images(sample, n: int, batch: int) -> torch.Tensor:
    """n uint8 images from sample(m) -> m float images, in batches."""
    return torch.cat([to_uint8(sample(min(batch, n - i))).cpu() for i in range(0, n, batch)])


def intra_fid(ctx: ProbeContext, extractor, real_features: torch.Tensor, labels: torch.Tensor) -> dict:
    settings, model, batch = ctx.settings, ctx.model, ctx.eval_settings.batch_size
    rng = torch.Generator(device=ctx.device).manual_seed(ctx.seed * 1000 + INTRA_FID_STREAM)
    per_class = []
    for k in range(model.classes):
        n = settings.intra_fid_per_class
        images = _images(lambda m: model.sample(m, rng, y=torch.full((m,), k, device=ctx.device)), n, batch)
        fake = extract(extractor, images, batch, ctx.device)[extractor.fid_layer]
        per_class.append(_fid(fake, real_features[labels == k]))
    return {"mean": sum(per_class) / len(per_class), "per_class": per_class}


def truncation_curve(ctx: ProbeContext, extractor, real: dict) -> dict:
    """Scores of z ~ N(0, I) truncated at each threshold (resampled, as the truncated_normal prior)."""
    from ganpriors.artifacts import TrainedModel
    from ganpriors.priors.loading import build_prior
    from ganpriors.priors.specs import TruncatedNormalSpec

    settings, batch = ctx.settings.truncation, ctx.eval_settings.batch_size
    reference = real_reference(real, extractor.fid_layer, ctx.eval_settings, ctx.seed, settings.n)
    curve = {}
    for threshold in settings.thresholds:
        prior = build_prior(TruncatedNormalSpec(kind="truncated_normal", threshold=threshold))
        model = TrainedModel(ctx.generator, prior, ctx.meta or {"model": {"z_dim": ctx.z_dim}},
                             device=torch.device(ctx.device))
        rng = torch.Generator(device=ctx.device).manual_seed(ctx.seed * 1000 + TRUNCATION_STREAM)
        images = _images(lambda m: model.sample(m, rng), settings.n, batch)
        fake = extract(extractor, images, batch, ctx.device)
        result = scores(fake, reference, extractor.isc_layer)
        curve[f"{threshold:g}"] = {k: result[k] for k in ("fid", "is", "kid", "precision", "recall")}
    return curve


def sample_row(ctx: ProbeContext) -> Grid:
    """`samples` prior samples in a row; a class-conditional generator's labels cycle 0, 1, 2, ..."""
    model, n = ctx.model, ctx.settings.samples
    rng = torch.Generator(device=ctx.device).manual_seed(ctx.seed * 1000 + SAMPLES_STREAM)
    y = torch.arange(n, device=ctx.device) % model.classes if model.classes else None
    return Grid(to_uint8(model.sample(n, rng, y=y)).cpu(), rows=1, cols=n)


def held_out_instances(ctx: ProbeContext) -> tuple[dict, Grid]:
    from ganpriors.data.neighbourhoods import classifier_features

    settings, model = ctx.settings, ctx.model
    n, per = settings.held_out_instances, settings.samples_per_instance
    images, labels = ctx.test.images[:n], ctx.test.labels[:n]
    features = classifier_features(ctx.classifier, images.to(ctx.device))
    rng = torch.Generator(device=ctx.device).manual_seed(ctx.seed * 1000 + INSTANCE_STREAM)
    rows, agree = [], 0
    for image, label, h in zip(images, labels, features):
        samples = to_uint8(model.sample_around(h, per, rng))
        predicted = ctx.classifier(to_unit_range(samples)).argmax(dim=1).cpu()
        agree += int((predicted == int(label)).sum())
        rows.append(torch.cat([image.unsqueeze(0).cpu(), samples.cpu()]))
    grid = Grid(torch.cat(rows), rows=n, cols=per + 1, row_labels=[f"test {i}" for i in range(n)],
                col_labels=["instance"] + [f"sample {j}" for j in range(per)])
    return {"class_agreement": agree / (n * per), "instances": n, "samples_per_instance": per}, grid


@torch.no_grad()
def probe_survey(ctx: ProbeContext) -> ProbeResult:
    run = ctx.run
    numbers = {"conditioning": conditioning(run), "parameters": parameter_counts(ctx)}
    grids = {"samples": sample_row(ctx)}
    needs_real = numbers["conditioning"] == "class" or run.name in ctx.settings.truncation.runs
    if needs_real:
        # The evaluate stage's reference images: the first eval.real.n of the test split.
        n = min(ctx.eval_settings.real.n, len(ctx.test.images))
        extractor = build_extractor(ctx.eval_settings, ctx.classifier_path, ctx.device)
        real = extract(extractor, ctx.test.images[:n], ctx.eval_settings.batch_size, ctx.device)
        if numbers["conditioning"] == "class":
            numbers["intra_fid"] = intra_fid(ctx, extractor, real[extractor.fid_layer], ctx.test.labels[:n].cpu())
        if run.name in ctx.settings.truncation.runs:
            numbers["truncation"] = truncation_curve(ctx, extractor, real)
    if numbers["conditioning"] == "instance":
        numbers["held_out"], grids["held_out_instances"] = held_out_instances(ctx)
    return ProbeResult(numbers, grids)
