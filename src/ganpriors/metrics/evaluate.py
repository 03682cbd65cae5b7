"""Evaluation: IS, FID, KID and precision/recall from torch-fidelity on prior samples and on
interpolations G((1 - lambda) z1 + lambda z2), against real-data features computed once.

Real features are stored as safetensors (never a pickle), keyed by extractor and weights hash, so
the same file serves every run; torch-fidelity's own cache is not used because its key ignores
the extractor's weights.
"""
from __future__ import annotations

import time
from pathlib import Path

import torch

from ganpriors import __version__, registry, timings
from ganpriors.data.datasets import load_split, to_uint8
from ganpriors.device import generator_for, pick_device
from ganpriors.environment import fingerprint
from ganpriors.errors import GanpriorsError
from ganpriors.io import load_tensors, read_json, save_tensors, write_json
from ganpriors.metrics.fidelity import RealReference, kid, precision_recall
from ganpriors.metrics.interpolation import interpolate


def build_extractor(settings, classifier_path: Path, device: torch.device):
    return registry.resolve(registry.FEATURE_EXTRACTORS, settings.feature_extractor.name).build(
        settings.feature_extractor, classifier_path, device)


@torch.no_grad()
def extract(extractor, images: torch.Tensor, batch_size: int, device: torch.device) -> dict:
    """Features of uint8 images, layer -> N x D on the CPU: torch-fidelity's extraction loop
    (get_featuresdict_from_dataset: the same batches, so the same bits) without its DataLoader,
    whose per-image indexing and collation cost a tenth of the time. Grayscale images are repeated
    to the channels the extractor expects (Inception)."""
    parts: dict[str, list] = {}
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size]
        if x.shape[1] != extractor.channels:
            x = x.expand(-1, extractor.channels, -1, -1).contiguous()
        features = extractor.module.convert_features_tuple_to_dict(extractor.module(x.to(device)))
        for name, value in features.items():
            parts.setdefault(name, []).append(value.cpu())
    return {name: torch.cat(values) for name, values in parts.items()}


def compute_real_features(settings, data_path: Path, classifier_path: Path, out: Path):
    torch.set_num_threads(settings.threads)
    device = pick_device(settings.device)
    split = load_split(data_path, settings.real.split)
    if settings.real.n > len(split.images):
        raise GanpriorsError(f"params.yaml: eval.real.n = {settings.real.n} exceeds the {len(split.images)} images "
                             f"of the {settings.real.split} split; lower it")
    extractor = build_extractor(settings, classifier_path, device)
    feats = extract(extractor, split.images[: settings.real.n], settings.batch_size, device)
    save_tensors(out, feats, {
        "feature_extractor": extractor.label, "weights_sha256": extractor.weights_sha256,
        "split": settings.real.split, "n": settings.real.n, "fid_layer": extractor.fid_layer,
        "isc_layer": extractor.isc_layer,
    })


@torch.no_grad()
def generate(model, n: int, rng: torch.Generator, batch: int, lam: float | None):
    """n uint8 images from prior samples (lam None) or from interpolations at weight lam, of a
    TrainedModel (a conditional one keeps the labels of the first endpoint)."""
    out = []
    for i in range(0, n, batch):
        m = min(batch, n - i)
        if lam is None:
            images = model.sample(m, rng)
        else:
            z, info = model.latents(m, rng)
            images = model.generate(interpolate(z, model.latents(m, rng)[0], lam), info.get("y"))
        out.append(to_uint8(images).cpu())
    return torch.cat(out)


def real_reference(real: dict, fid_layer: str, settings, seed: int, n_fake: int) -> RealReference:
    n = min(n_fake, len(real[fid_layer]))
    return RealReference(real, fid_layer, settings.prc_neighborhood, min(settings.kid_subset_size, n), seed)


def scores(fake: dict, reference: RealReference, isc_layer: str) -> dict:
    """IS, FID, KID and precision/recall of one fake set against the run's real reference."""
    from torch_fidelity.metric_fid import fid_featuresdict_to_statistics, fid_statistics_to_metric
    from torch_fidelity.metric_isc import isc_featuresdict_to_metric

    layer = reference.fid_layer
    isc = isc_featuresdict_to_metric(fake, isc_layer, verbose=False, rng_seed=reference.seed)
    fid = fid_statistics_to_metric(fid_featuresdict_to_statistics(fake, layer),
                                   reference.fid_statistics(), False)
    kid_mean, kid_std = kid(fake[layer], reference)
    precision, recall = precision_recall(fake[layer], reference)
    return {
        "is": isc["inception_score_mean"], "is_std": isc["inception_score_std"],
        "fid": fid["frechet_inception_distance"], "kid": kid_mean, "kid_std": kid_std,
        "precision": precision, "recall": recall,
    }


def view_reference(settings, data_path: Path, view, extractor, device) -> tuple[dict, dict]:
    """Reference features for a run trained on a view (regrouped or resampled classes): the test
    split under the same view, so that FID compares like with like."""
    from ganpriors.data.views import apply_view

    split = load_split(data_path, settings.real.split)
    viewed = apply_view(split.images, split.labels, view)
    n = min(settings.real.n, len(viewed.images))
    feats = extract(extractor, viewed.images[:n], settings.batch_size, device)
    return feats, {"split": settings.real.split, "n": n, "view": view.model_dump()}


def evaluate_run(settings, seed: int, generator_path: Path, prior_path: Path, train_summary: Path,
                 real_features: Path, classifier_path: Path, out: Path, data_path: Path) -> dict:
    """Score one trained run: image runs with torch-fidelity (+ I-Variance), runs on a mode-coverage
    benchmark with that benchmark's protocol (ganpriors.metrics.mode_coverage)."""
    import torch_fidelity

    from ganpriors.artifacts import TrainedModel

    torch.set_num_threads(settings.threads)
    device = pick_device(settings.device)
    summary = read_json(train_summary, "training summary")
    dataset = summary.get("dataset")
    result = {"run": summary["run"], "seed": seed, "status": summary["status"],
              "protocol": {"dataset": dataset["kind"] if dataset else "fashion-mnist", "run_seed": seed,
                           "sampling_seed": settings.fake.seed, "ganpriors": __version__},
              "train": {k: summary.get(k) for k in ("steps", "device", "diverged_at_step", "deterministic",
                                                     "nondeterministic_operations")}}
    if dataset is None:
        real, real_meta = load_tensors(real_features, "real-data features")
        if not {"split", "n", "feature_extractor", "weights_sha256"} <= set(real_meta):
            raise GanpriorsError(f"{real_features}: real-data features lack their protocol metadata; "
                                 "delete the file and rerun the real-features stage")
        result["protocol"].update({
            "split": real_meta["split"], "n_real": real_meta["n"], "n_fake": settings.fake.n,
            "feature_extractor": real_meta["feature_extractor"],
            "feature_extractor_weights_sha256": real_meta["weights_sha256"],
            "kid_subset_size": min(settings.kid_subset_size, settings.fake.n, real_meta["n"]),
            "prc_neighborhood": settings.prc_neighborhood, "interpolation": "(1 - lambda) z1 + lambda z2",
            "torch_fidelity": torch_fidelity.__version__,
        })
    if summary["status"] != "completed":
        # A diverged run is reported as such instead of failing the whole reproduction.
        result["scores"] = None
        result["environment"] = fingerprint(device.type)
        write_json(out, result)
        return result

    start = time.perf_counter()
    model = TrainedModel.load(generator_path, prior_path, device)
    rng = generator_for(device, settings.fake.seed * 1000 + seed)
    if dataset is None:
        _score_images(result, settings, seed, model, rng, real, real_meta, real_features, classifier_path,
                      data_path, device)
    else:
        from ganpriors.metrics import benchmark_scores

        benchmark_scores.SCORERS[dataset["kind"]](result, settings, seed, model, rng, classifier_path, data_path,
                                                  device)
    result["environment"] = fingerprint(device.type)
    write_json(out, result)
    timings.record("evaluate", f"{summary['run']}-seed{seed}", {"seconds": round(time.perf_counter() - start, 2)})
    return result


def _score_images(result, settings, seed, model, rng, real, real_meta, real_features, classifier_path, data_path,
                  device) -> None:
    """IS, FID, KID, precision/recall and I-Variance on prior samples (and interpolations unless the
    run turns them off), against the real split (under the run's view, if any)."""
    from ganpriors.config import ViewSettings
    from ganpriors.metrics.i_variance import softmax_i_variance

    protocol, meta = result["protocol"], model.meta
    extractor = build_extractor(settings, classifier_path, device)
    if extractor.weights_sha256 != real_meta["weights_sha256"]:
        raise GanpriorsError(f"{real_features}: computed with other extractor weights than {classifier_path}; "
                             "rerun the real-features stage")
    if meta.get("view") is not None:
        real, view_meta = view_reference(settings, data_path, ViewSettings.model_validate(meta["view"]), extractor,
                                         device)
        protocol.update({"n_real": view_meta["n"], "view": view_meta["view"],
                         "kid_subset_size": min(settings.kid_subset_size, settings.fake.n, view_meta["n"])})
    lambdas = settings.fake.lambdas if meta.get("interpolations", True) else []
    sets = {"prior": None, **{f"lambda_{lam:g}": lam for lam in lambdas}}
    reference = real_reference(real, extractor.fid_layer, settings, seed, settings.fake.n)
    result["scores"] = {}
    for name, lam in sets.items():
        images = generate(model, settings.fake.n, rng, settings.batch_size, lam)
        fake = extract(extractor, images, settings.batch_size, device)
        result["scores"][name] = scores(fake, reference, extractor.isc_layer)
        result["scores"][name]["i_variance"] = softmax_i_variance(fake[extractor.isc_layer])
    # I-Variance of the real reference set: what a generator matching the data would score.
    result["reference"] = {"i_variance": softmax_i_variance(real[extractor.isc_layer])}
