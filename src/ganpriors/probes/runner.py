"""The probe stage: rebuild a trained run (generator, learned prior, auxiliary networks), hand it
to its study's probe, and write the numbers (JSON, with the run's evaluation scores copied in so
that the study's report reads probe files only) and the image grids (safetensors)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from ganpriors import registry
from ganpriors.artifacts import TrainedModel
from ganpriors.data.datasets import load_split
from ganpriors.data.views import apply_view, group_of_class, true_prior
from ganpriors.device import pick_device
from ganpriors.environment import fingerprint
from ganpriors.errors import GanpriorsError
from ganpriors.io import read_json, save_tensors, write_json
from ganpriors.metrics.classifier import load_classifier
from ganpriors.probes.base import ProbeContext


def rebuild_regularisers(run, model: TrainedModel, device) -> dict:
    """The run's regulariser networks with their trained weights, for measurement only."""
    aux = {}
    for name, options in run.regularisers.items():
        reg = registry.resolve(registry.REGULARISERS, name)(options, run=run, prior=model.prior, data=None,
                                                             image_shape=model.data_shape, device=device, seed=0)
        modules = reg.modules()
        for module_name, module in modules.items():
            try:
                module.load_state_dict(model.aux[name][module_name])
            except (KeyError, RuntimeError):
                raise GanpriorsError(f"generator file lacks trained weights for {name}.{module_name} of run "
                                     f"{run.name}; rerun its train stage") from None
            module.to(device).eval()
        aux[name] = modules
    return aux


def run_probe(params, study_name: str, run_name: str, seed: int, generator_path: Path, prior_path: Path,
              train_log: Path, metrics_path: Path, classifier_path: Path, data_path: Path,
              out_json: Path, out_grids: Path) -> dict:
    study = params.studies[study_name]
    if run_name not in study.runs:
        raise GanpriorsError(f"params.yaml: run '{run_name}' is not in studies.{study_name}.runs")
    run = params.resolve_run(run_name)
    torch.set_num_threads(params.eval.threads)
    device = pick_device(params.eval.device)
    metrics = read_json(metrics_path, "metrics file")
    result = {"study": study_name, "kind": study.kind, "run": run_name, "seed": seed, "status": metrics["status"],
              "scores": metrics.get("scores"), "protocol": metrics["protocol"], "train": metrics.get("train")}
    grids = {}
    if metrics["status"] == "completed":
        model = TrainedModel.load(generator_path, prior_path, device)
        prior = model.prior
        train, test = load_split(data_path, "train"), load_split(data_path, "test")
        train_view = apply_view(train.images, train.labels, run.view)
        ctx = ProbeContext(
            run=run, generator=model.generator, prior=prior,
            aux=rebuild_regularisers(run, model, device),
            classifier=load_classifier(classifier_path).to(device).eval(),
            test=apply_view(test.images, test.labels, run.view),
            group_of_class=group_of_class(run.view.groups if run.view else None).to(device),
            true_prior=true_prior(train_view), train_log=pd.read_csv(train_log),
            settings=study.probe, z_dim=model.z_dim, seed=seed, device=device, meta=model.meta,
            eval_settings=params.eval, classifier_path=Path(classifier_path), trained=model,
        )
        probe = registry.resolve(registry.PROBES, study.kind)(ctx)
        result["probe"] = probe.numbers
        result["prior_description"] = prior.describe() if not prior.iid_per_dimension else None
        result["generator_parameters"] = sum(p.numel() for p in model.generator.parameters())
        grids = probe.grids
    save_tensors(out_grids, {name: g.images.cpu().contiguous() for name, g in grids.items()},
                 {name: {"rows": g.rows, "cols": g.cols, "row_labels": g.row_labels, "col_labels": g.col_labels}
                  for name, g in grids.items()})
    result["environment"] = fingerprint(device.type)
    write_json(out_json, result)
    return result
