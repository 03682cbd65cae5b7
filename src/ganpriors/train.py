"""The training loop: one GAN per run and seed.

Reads the prepared dataset and the run's prior file; writes the generator (safetensors, format of
ganpriors.artifacts), the loss log (CSV) and a summary (JSON). A checkpoint outside the declared
outputs lets an interrupted job resume where it stopped; it is keyed by a hash of everything that
defines the run.
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
from ganpriors.artifacts import TRACE_PREFIX, run_record, save_trained
from ganpriors.data.datasets import load_split, to_unit_range
from ganpriors.data.views import apply_view
from ganpriors.device import NondeterminismMonitor, generator_for, make_deterministic, pick_device
from ganpriors.io import ensure_output_dir, load_checkpoint, save_checkpoint, sha256_file, write_json, write_text
from ganpriors.nets import build_nets
from ganpriors.priors import build_prior, load_prior
from ganpriors.regularisers import build_regularisers
from ganpriors.regularisers.base import StepContext

LOG_COLUMNS = ["step", "loss_d", "loss_g", "d_real", "d_fake", "seconds"]
CHECKPOINT_ROOT = Path(".ganpriors/checkpoints")


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
    save_trained(out_dir / "generator.safetensors", generator.state_dict(), prior, regularisers, trace, meta)
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
