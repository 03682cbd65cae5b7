"""Benchmark: one evaluation (one run and seed) phase by phase, torch-fidelity's functions against
ganpriors.metrics.fidelity (the real side computed once), with the scores asserted identical.

The generator is the run's network at its initialisation (evaluation's cost does not depend on the
weights), the extractor the pinned classifier, the eval settings those of the params file (10,000
images per set, the prior set and one per interpolation weight). The real reference is the
prepared test split when --data is given, else 10,000 generated images (the same cost).

Usage: python benchmarks/bench_evaluate.py [--params params.yaml] [--run normal] [--data data/prepared/fashion-mnist.safetensors]
       [--n 10000] [--threads 1]
"""
from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import torch

from ganpriors.artifacts import TrainedModel
from ganpriors.config import load_params
from ganpriors.data.datasets import load_split
from ganpriors.metrics import evaluate
from ganpriors.metrics.classifier import pinned_path
from ganpriors.nets import build_nets
from ganpriors.priors import build_prior


class Clock:
    def __init__(self):
        self.seconds = defaultdict(float)

    def __call__(self, phase, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        self.seconds[phase] += time.perf_counter() - start
        return out


def library_path(clock, extractor, images, real, settings, seed):
    """What evaluation did before: torch-fidelity's DataLoader loop and metric functions per set."""
    from torch.utils.data import Dataset
    from torch_fidelity.metric_fid import fid_featuresdict_to_statistics, fid_statistics_to_metric
    from torch_fidelity.metric_isc import isc_featuresdict_to_metric
    from torch_fidelity.metric_kid import kid_featuresdict_to_metric
    from torch_fidelity.metric_prc import prc_featuresdict_to_metric
    from torch_fidelity.utils import get_featuresdict_from_dataset

    class Images(Dataset):
        def __len__(self):
            return len(images)

        def __getitem__(self, i):
            return images[i]

    fake = clock("extract", get_featuresdict_from_dataset, Images(), extractor.module, settings.batch_size, False,
                 True, False)
    layer = extractor.fid_layer
    kw = dict(verbose=False, rng_seed=seed, kid_subset_size=min(settings.kid_subset_size, len(images)),
              prc_neighborhood=settings.prc_neighborhood, save_cpu_ram=True)
    isc = clock("is", lambda: isc_featuresdict_to_metric(fake, extractor.isc_layer, **kw))
    fid = clock("fid", lambda: fid_statistics_to_metric(fid_featuresdict_to_statistics(fake, layer),
                                                        fid_featuresdict_to_statistics(real, layer), False))
    kid = clock("kid", lambda: kid_featuresdict_to_metric(fake, real, layer, **kw))
    prc = clock("precision/recall", lambda: prc_featuresdict_to_metric(fake, real, layer, **kw))
    return {"is": isc["inception_score_mean"], "is_std": isc["inception_score_std"],
            "fid": fid["frechet_inception_distance"], "kid": kid["kernel_inception_distance_mean"],
            "kid_std": kid["kernel_inception_distance_std"], "precision": prc["precision"], "recall": prc["recall"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--run", default="normal")
    ap.add_argument("--data", default=None, help="prepared dataset (its test split is the real reference)")
    ap.add_argument("--n", type=int, default=None, help="images per set (default: eval.fake.n)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    params = load_params(args.params)
    settings, run = params.eval, params.resolve_run(args.run)
    n = args.n or settings.fake.n
    device = torch.device("cpu")
    generator, _ = build_nets(run.model, (1, 28, 28))
    torch.manual_seed(0)
    model = TrainedModel(generator.eval(), build_prior(run.prior), {"model": run.model.model_dump()}, {}, device)
    extractor = evaluate.build_extractor(settings, pinned_path(params.classifier.pinned.name), device)
    if args.data:
        real_images, source = load_split(Path(args.data), settings.real.split).images[:n], f"{settings.real.split} split"
    else:
        real_images, source = evaluate.generate(model, n, torch.Generator().manual_seed(1), settings.batch_size, None), \
            "generated images"
    real = evaluate.extract(extractor, real_images, settings.batch_size, device)
    sets = {"prior": None, **{f"lambda_{lam:g}": lam for lam in settings.fake.lambdas}}
    print(f"run {args.run}, {len(sets)} sets x {n} images, real reference: {n} {source}, "
          f"extractor {extractor.label}, torch threads {torch.get_num_threads()}")

    rows = {}
    for name, path in (("torch-fidelity", "library"), ("ganpriors", "ours")):
        clock, rng, out = Clock(), torch.Generator().manual_seed(0), {}
        reference = evaluate.real_reference(real, extractor.fid_layer, settings, 0, n)
        for set_name, lam in sets.items():
            images = clock("generate", evaluate.generate, model, n, rng, settings.batch_size, lam)
            if path == "library":
                out[set_name] = library_path(clock, extractor, images, real, settings, 0)
            else:
                fake = clock("extract", evaluate.extract, extractor, images, settings.batch_size, device)
                out[set_name] = clock("scores", evaluate.scores, fake, reference, extractor.isc_layer)
        rows[name] = (clock.seconds, out)
    if rows["torch-fidelity"][1] != rows["ganpriors"][1]:
        raise SystemExit(f"scores differ:\n{rows['torch-fidelity'][1]}\n{rows['ganpriors'][1]}")
    print("scores identical in both paths (every set, every key)")
    for name, (seconds, _) in rows.items():
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
        print(f"{name:15s} total {sum(seconds.values()):6.1f} s: {phases}")


if __name__ == "__main__":
    main()
