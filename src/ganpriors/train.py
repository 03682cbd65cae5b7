"""The training loop: one GAN per run and seed.

Reads the prepared dataset and the run's prior file; writes the generator (safetensors), the loss
log (CSV) and a summary (JSON). A checkpoint outside the declared outputs lets an interrupted job
resume where it stopped; it is keyed by a hash of everything that defines the run.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from ganpriors import __version__, registry
from ganpriors.data.datasets import load_split, to_unit_range
from ganpriors.data.views import apply_view
from ganpriors.device import NondeterminismMonitor, generator_for, make_deterministic, pick_device
from ganpriors.io import ensure_output_dir, load_checkpoint, save_checkpoint, save_tensors, sha256_file, write_json, write_text
from ganpriors.nets import build_nets
from ganpriors.priors import build_prior, load_prior
from ganpriors.regularisers import build_regularisers
from ganpriors.regularisers.base import StepContext

LOG_COLUMNS = ["step", "loss_d", "loss_g", "d_real", "d_fake", "seconds"]
CHECKPOINT_ROOT = Path(".ganpriors/checkpoints")
PRIOR_PREFIX, AUX_PREFIX = "prior.", "aux."  # keys of learned priors and auxiliary nets in generator files
TRACE_PREFIX = "trace.step"  # generator samples at fixed latents during training (2-D benchmarks)


@dataclass
class TrainingData:
    """Fashion-MNIST (under the run's view): a finite image set visited in shuffled passes. Other
    training data (mode-coverage benchmarks) live in ganpriors.data.benchmarks, same interface."""

    images: torch.Tensor  # float in [-1, 1], on the training device
    labels: torch.Tensor  # group labels of the run's view (used only by supervised regularisers)
    n_groups: int

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.images.shape[1:])

    def batches(self, batch_size: int, rng: torch.Generator) -> "Batches":
        return Batches(self.images, batch_size, rng)


def run_fingerprint(run, seed: int, prior_sha: str, data_sha: str) -> str:
    blob = json.dumps({"run": run.model_dump(exclude={"device"}), "seed": seed, "prior": prior_sha,
                       "data": data_sha, "version": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_training_data(data_path: Path, run, device):
    if run.dataset is not None:
        return registry.resolve(registry.DATASETS, run.dataset.kind)(run.dataset, data_path, device)
    split = load_split(data_path, "train")
    viewed = apply_view(split.images, split.labels, run.view)
    return TrainingData(to_unit_range(viewed.images).to(device), viewed.labels.to(device), viewed.n_groups)


def build_loss(cfg, rng: torch.Generator):
    cls = registry.resolve(registry.LOSSES, cfg.loss)
    return cls.from_settings(cfg, rng)


class Batches:
    """Real batches in a seeded random order, reshuffled at each pass; resumable."""

    def __init__(self, images: torch.Tensor, batch_size: int, rng: torch.Generator):
        self.images, self.bs, self.rng = images, batch_size, rng
        self.order, self.pos = torch.randperm(len(images), generator=rng), 0

    def next(self) -> torch.Tensor:
        if self.pos + self.bs > len(self.order):
            self.order, self.pos = torch.randperm(len(self.images), generator=self.rng), 0
        batch = self.images[self.order[self.pos: self.pos + self.bs].to(self.images.device)]
        self.pos += self.bs
        return batch

    def state_dict(self) -> dict:
        return {"order": self.order, "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        self.order, self.pos = state["order"], state["pos"]


def train_step(step: int, generator, discriminator, prior, opt_g, opt_d, loss, regularisers: dict,
               batches: Batches, z_dim: int, n_critic: int, z_rng: torch.Generator):
    """n_critic discriminator updates on real vs detached fakes, then one generator update on the
    last fakes; regularisers add their terms and train their own networks alongside."""
    for _ in range(n_critic):
        real = batches.next()
        z, info = prior.sample_with_info(real.shape[0], z_dim, z_rng, real.device)
        fake = generator(z)
        loss_d, d_real, d_fake = loss.discriminator_loss(discriminator, real, fake.detach())
        ctx = StepContext(step, real, z, info, fake, generator, discriminator, prior)
        for reg in regularisers.values():
            term = reg.discriminator_term(ctx)
            if term is not None:
                loss_d = loss_d + term
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

    loss_g = loss.generator_loss(discriminator, fake)
    extra_opts = [opt for reg in regularisers.values() for opt in reg.optimizers()]
    for reg in regularisers.values():
        term = reg.generator_term(ctx)
        if term is not None:
            loss_g = loss_g + term
    opt_g.zero_grad(set_to_none=True)
    for opt in extra_opts:
        opt.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    for opt in extra_opts:
        opt.step()
    for reg in regularisers.values():
        reg.after_step(ctx)
    return loss_d, loss_g, d_real, d_fake


def _prefixed(prefix: str, tensors: dict) -> dict:
    return {f"{prefix}{k}": v.detach().cpu().contiguous() for k, v in tensors.items()}


def trained_tensors(generator, prior, regularisers: dict) -> dict:
    """Everything a trained run consists of: generator weights, the learned prior's state, and the
    regularisers' networks (e.g. NEMGAN's inversion network), in one safetensors file."""
    tensors = dict(generator.state_dict())
    tensors.update(_prefixed(PRIOR_PREFIX, prior.state() if not prior.iid_per_dimension else {}))
    for name, reg in regularisers.items():
        for module_name, module in reg.modules().items():
            tensors.update(_prefixed(f"{AUX_PREFIX}{name}.{module_name}.", module.state_dict()))
    return tensors


def run_record(run, seed: int, prior) -> dict:
    """Metadata of a trained run. Options at their default are omitted, so files of runs that do
    not use a newer option (a view, a regulariser, a critic norm) are unchanged by its addition."""
    meta = {"run": run.name, "seed": seed, "model": run.model.model_dump(exclude_defaults=True),
            "prior": prior.spec.model_dump()}
    if run.view is not None:
        meta["view"] = run.view.model_dump()
    if run.dataset is not None:
        meta["dataset"] = run.dataset.model_dump()
    if run.regularisers:
        meta["regularisers"] = {k: v.model_dump() for k, v in run.regularisers.items()}
    if not run.interpolations:
        meta["interpolations"] = False
    return meta


def snapshot_steps(run) -> list[int]:
    """Steps at which a 2-D run records its samples (0 = untrained, evenly spaced to the end)."""
    n = getattr(run.dataset, "snapshots", 0)
    return sorted({round(k * run.train.steps / n) for k in range(n + 1)}) if n else []


def train(run, seed: int, data_path: Path, prior_path: Path, out_dir: Path,
          checkpoint_root: Path = CHECKPOINT_ROOT, progress: bool = True) -> dict:
    torch.set_num_threads(run.threads)
    device = pick_device(run.device)
    make_deterministic(device)
    cfg = run.train

    prior = load_prior(prior_path)
    data = load_training_data(data_path, run, device)
    out_dir = ensure_output_dir(out_dir)  # inputs are readable: fail now, not after training
    fingerprint = run_fingerprint(run, seed, sha256_file(prior_path), sha256_file(data_path))
    ckpt_path = Path(checkpoint_root) / run.name / f"seed{seed}-{fingerprint}.pt"
    state = load_checkpoint(ckpt_path, "training checkpoint") if ckpt_path.is_file() else None
    if state is not None and state["prior"]:
        # A learned prior is restored before the optimizers are built: they hold its parameters.
        prior = build_prior(prior.spec, state["prior"])
    torch.manual_seed(seed)  # network initialisation (and learned priors' initial values)
    prior.build(run.model.z_dim)
    generator, discriminator = build_nets(run.model, data.shape)
    generator.to(device)
    discriminator.to(device)
    prior.to(device)
    regularisers = build_regularisers(run.regularisers, run=run, prior=prior, data=data,
                                      image_shape=data.shape, device=device, seed=seed)
    opt_g = torch.optim.Adam(list(generator.parameters()) + prior.trainable_parameters(), lr=cfg.lr_g,
                             betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    loss_rng = generator_for(device, 2 * seed + 2)  # gradient-penalty interpolation weights
    loss = build_loss(cfg, loss_rng)
    z_rng = generator_for(device, 2 * seed + 1)
    data_rng = torch.Generator().manual_seed(2 * seed)  # CPU: batch order is device-independent
    batches = data.batches(cfg.batch_size, data_rng)
    # Fixed latents whose samples are recorded during training (figure of the 2-D benchmarks).
    snapshots, trace = snapshot_steps(run), {}
    snapshot_z = (prior.sample(run.dataset.snapshot_samples, run.model.z_dim, generator_for(device, 2 * seed + 3),
                               device) if snapshots else None)

    step, rows, elapsed_before = 0, [], 0.0
    status, diverged_at = "completed", None
    if state is not None:
        generator.load_state_dict(state["generator"])
        discriminator.load_state_dict(state["discriminator"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        z_rng.set_state(state["z_rng"])
        data_rng.set_state(state["data_rng"])
        loss_rng.set_state(state["loss_rng"])
        for name, reg in regularisers.items():
            reg.load_state_dict(state["regularisers"][name])
        step, rows, trace = state["step"], state["rows"], state["trace"]
        batches.load_state_dict(state["batches"])
        elapsed_before = state["elapsed"]

    def save_progress():
        save_checkpoint(ckpt_path, {
            "generator": generator.state_dict(), "discriminator": discriminator.state_dict(),
            "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
            "z_rng": z_rng.get_state(), "data_rng": data_rng.get_state(), "loss_rng": loss_rng.get_state(),
            "prior": prior.state(), "regularisers": {name: reg.state_dict() for name, reg in regularisers.items()},
            "step": step, "rows": rows, "batches": batches.state_dict(), "trace": trace,
            "elapsed": elapsed_before + time.perf_counter() - start,
        })

    resumed_from = step
    start = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=step, desc=f"train {run.name} seed {seed}", disable=not progress,
               mininterval=10.0, unit="step")
    generator.train()
    discriminator.train()
    prior.train()
    for reg in regularisers.values():
        reg.train()
    # Regularisers' log columns (stable names, NaN until a value exists), fixed before training.
    extra_columns = [k for reg in regularisers.values() for k in reg.stats()]

    def record_snapshot():
        if step in snapshots:
            with torch.no_grad():
                trace[f"{TRACE_PREFIX}{step:06d}"] = generator(snapshot_z).detach().cpu()

    record_snapshot()
    with NondeterminismMonitor() as monitor:
        while step < cfg.steps:
            loss_d, loss_g, d_real, d_fake = train_step(step, generator, discriminator, prior, opt_g, opt_d, loss,
                                                        regularisers, batches, run.model.z_dim, cfg.n_critic, z_rng)
            step += 1
            bar.update(1)
            record_snapshot()

            if step % cfg.log_every == 0 or step == cfg.steps:
                ld, lg = loss_d.detach().item(), loss_g.detach().item()
                extra = {k: v for reg in regularisers.values() for k, v in reg.stats().items()}
                rows.append([step, ld, lg, loss.score(d_real.detach()).mean().item(),
                             loss.score(d_fake.detach()).mean().item(),
                             elapsed_before + time.perf_counter() - start] + [extra.get(k) for k in extra_columns])
                if not (math.isfinite(ld) and math.isfinite(lg)):
                    status, diverged_at = "diverged", step
                    break
            if step % cfg.checkpoint_every == 0 and step < cfg.steps:
                save_progress()
    bar.close()
    seconds = elapsed_before + time.perf_counter() - start

    meta = {**run_record(run, seed, prior), "steps": step, "status": status}
    save_tensors(out_dir / "generator.safetensors", {**trained_tensors(generator, prior, regularisers), **trace}, meta)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(LOG_COLUMNS + extra_columns)
    writer.writerows(rows)
    write_text(out_dir / "train_log.csv", buf.getvalue())
    summary = {
        **meta,
        "diverged_at_step": diverged_at,
        "resumed_from_step": resumed_from,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        # False when an operation had no deterministic kernel on this device (e.g. some CUDA ops).
        "deterministic": monitor.deterministic,
        "nondeterministic_operations": monitor.operations,
        "threads": torch.get_num_threads(),
        "seconds": round(seconds, 3),
        "steps_per_second": round((step - resumed_from) / max(time.perf_counter() - start, 1e-9), 3),
        "final_loss_d": rows[-1][1] if rows else None,
        "final_loss_g": rows[-1][2] if rows else None,
        "torch": torch.__version__,
        "ganpriors": __version__,
    }
    if not prior.iid_per_dimension:
        summary["prior_description"] = prior.describe()
    write_json(out_dir / "train.json", summary)
    if ckpt_path.exists():
        os.unlink(ckpt_path)
    return summary


def split_trained_tensors(tensors: dict) -> tuple[dict, dict, dict]:
    """-> (generator weights, learned prior state, {regulariser: {module: weights}})."""
    gen, prior_state, aux = {}, {}, {}
    for key, value in tensors.items():
        if key.startswith(TRACE_PREFIX):
            continue
        if key.startswith(PRIOR_PREFIX):
            prior_state[key[len(PRIOR_PREFIX):]] = value
        elif key.startswith(AUX_PREFIX):
            reg, module, rest = key[len(AUX_PREFIX):].split(".", 2)
            aux.setdefault(reg, {}).setdefault(module, {})[rest] = value
        else:
            gen[key] = value
    return gen, prior_state, aux


def load_generator(path: Path, device: torch.device | str = "cpu", with_parts: bool = False):
    """Rebuild a generator from its safetensors file (architecture from the file's metadata).
    With `with_parts`, also return the learned prior state and the auxiliary networks' weights."""
    from ganpriors.config import ModelSettings
    from ganpriors.errors import GanpriorsError
    from ganpriors.io import load_tensors, state_dict_mismatch

    tensors, meta = load_tensors(path, "generator checkpoint")
    try:
        model = ModelSettings.model_validate(meta["model"])
    except Exception:
        raise GanpriorsError(f"{path}: generator file lacks a valid 'model' description; rerun its train stage") from None
    weights, prior_state, aux = split_trained_tensors(tensors)
    generator, _ = build_nets(model, data_shape(meta))
    try:
        generator.load_state_dict(weights)
    except RuntimeError as exc:
        raise GanpriorsError(
            f"{path}: weights do not fit the {model.net} generator described in its metadata "
            f"({state_dict_mismatch(exc)}); rerun its train stage"
        ) from None
    generator = generator.to(device).eval()
    if with_parts:
        return generator, meta, prior_state, aux
    return generator, meta


def data_shape(meta: dict) -> tuple[int, ...]:
    """Shape of one training sample, from a generator file's metadata (Fashion-MNIST unless a
    benchmark dataset is recorded)."""
    from ganpriors.data.specs import parse_dataset

    return (1, 28, 28) if meta.get("dataset") is None else parse_dataset(meta["dataset"]).shape


def load_trained_prior(prior_path: Path, prior_state: dict, device):
    """The run's prior as trained: the fit-prior file's spec with the learned state, if any."""
    from ganpriors.errors import GanpriorsError

    prior = load_prior(prior_path)
    if prior_state:
        try:
            prior = build_prior(prior.spec, prior_state)
        except (KeyError, RuntimeError, ValueError) as exc:
            raise GanpriorsError(f"{prior_path}: the learned prior state in the generator file does not fit this "
                                 f"{prior.spec.kind} prior ({exc}); rerun the run's train stage") from None
    return prior.to(device).train(False)


def load_trace(path: Path) -> dict[int, torch.Tensor]:
    """step -> generator samples (snapshot_samples x 2) at the run's fixed snapshot latents, for runs
    on a 2-D benchmark (empty for other runs). Step 0 is the untrained generator."""
    from ganpriors.io import load_tensors

    tensors, _ = load_tensors(path, "generator checkpoint")
    return {int(k[len(TRACE_PREFIX):]): v for k, v in sorted(tensors.items()) if k.startswith(TRACE_PREFIX)}
