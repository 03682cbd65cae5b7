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
from pathlib import Path

import torch
from tqdm import tqdm

from ganpriors import __version__, registry
from ganpriors.data.datasets import load_split, to_unit_range
from ganpriors.device import NondeterminismMonitor, generator_for, make_deterministic, pick_device
from ganpriors.io import ensure_output_dir, load_checkpoint, save_checkpoint, save_tensors, sha256_file, write_json, write_text
from ganpriors.nets import build_nets
from ganpriors.priors import load_prior

LOG_COLUMNS = ["step", "loss_d", "loss_g", "d_real", "d_fake", "seconds"]
CHECKPOINT_ROOT = Path(".ganpriors/checkpoints")


def run_fingerprint(run, seed: int, prior_sha: str, data_sha: str) -> str:
    blob = json.dumps({"run": run.model_dump(exclude={"device"}), "seed": seed, "prior": prior_sha,
                       "data": data_sha, "version": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def train_step(generator, discriminator, opt_g, opt_d, loss, real: torch.Tensor, z: torch.Tensor):
    """One alternating update: discriminator on real vs detached fakes, then generator."""
    fake = generator(z)
    d_real, d_fake = discriminator(real), discriminator(fake.detach())
    loss_d = loss.discriminator(d_real, d_fake)
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()

    loss_g = loss.generator(discriminator(fake))
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    return loss_d, loss_g, d_real, d_fake


def train(run, seed: int, data_path: Path, prior_path: Path, out_dir: Path,
          checkpoint_root: Path = CHECKPOINT_ROOT, progress: bool = True) -> dict:
    torch.set_num_threads(run.threads)
    device = pick_device(run.device)
    make_deterministic(device)
    cfg = run.train

    prior = load_prior(prior_path)
    split = load_split(data_path, "train")
    images = to_unit_range(split.images).to(device)
    out_dir = ensure_output_dir(out_dir)  # inputs are readable: fail now, not after training
    torch.manual_seed(seed)  # network initialisation
    generator, discriminator = build_nets(run.model, tuple(images.shape[1:]))
    generator.to(device)
    discriminator.to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    loss = registry.resolve(registry.LOSSES, cfg.loss)()
    z_rng = generator_for(device, 2 * seed + 1)
    data_rng = torch.Generator().manual_seed(2 * seed)  # CPU: batch order is device-independent

    fingerprint = run_fingerprint(run, seed, sha256_file(prior_path), sha256_file(data_path))
    ckpt_path = Path(checkpoint_root) / run.name / f"seed{seed}-{fingerprint}.pt"
    step, rows, order, pos, elapsed_before = 0, [], torch.randperm(len(images), generator=data_rng), 0, 0.0
    status, diverged_at = "completed", None
    if ckpt_path.is_file():
        state = load_checkpoint(ckpt_path, "training checkpoint")
        generator.load_state_dict(state["generator"])
        discriminator.load_state_dict(state["discriminator"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        z_rng.set_state(state["z_rng"])
        data_rng.set_state(state["data_rng"])
        step, rows, order, pos = state["step"], state["rows"], state["order"], state["pos"]
        elapsed_before = state["elapsed"]

    def save_progress():
        save_checkpoint(ckpt_path, {
            "generator": generator.state_dict(), "discriminator": discriminator.state_dict(),
            "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
            "z_rng": z_rng.get_state(), "data_rng": data_rng.get_state(),
            "step": step, "rows": rows, "order": order, "pos": pos,
            "elapsed": elapsed_before + time.perf_counter() - start,
        })

    resumed_from = step
    start = time.perf_counter()
    bs = cfg.batch_size
    bar = tqdm(total=cfg.steps, initial=step, desc=f"train {run.name} seed {seed}", disable=not progress,
               mininterval=10.0, unit="step")
    generator.train()
    discriminator.train()
    with NondeterminismMonitor() as monitor:
        while step < cfg.steps:
            if pos + bs > len(order):
                order, pos = torch.randperm(len(images), generator=data_rng), 0
            real = images[order[pos: pos + bs].to(device)]
            pos += bs
            z = prior.sample(bs, run.model.z_dim, z_rng, device)
            loss_d, loss_g, d_real, d_fake = train_step(generator, discriminator, opt_g, opt_d, loss, real, z)
            step += 1
            bar.update(1)

            if step % cfg.log_every == 0 or step == cfg.steps:
                ld, lg = loss_d.detach().item(), loss_g.detach().item()
                rows.append([step, ld, lg, torch.sigmoid(d_real.detach()).mean().item(), torch.sigmoid(d_fake.detach()).mean().item(),
                             elapsed_before + time.perf_counter() - start])
                if not (math.isfinite(ld) and math.isfinite(lg)):
                    status, diverged_at = "diverged", step
                    break
            if step % cfg.checkpoint_every == 0 and step < cfg.steps:
                save_progress()
    bar.close()
    seconds = elapsed_before + time.perf_counter() - start

    meta = {"run": run.name, "seed": seed, "model": run.model.model_dump(), "prior": prior.spec.model_dump(),
            "steps": step, "status": status}
    save_tensors(out_dir / "generator.safetensors", generator.state_dict(), meta)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(LOG_COLUMNS)
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
    write_json(out_dir / "train.json", summary)
    if ckpt_path.exists():
        os.unlink(ckpt_path)
    return summary


def load_generator(path: Path, device: torch.device | str = "cpu"):
    """Rebuild a generator from its safetensors file (architecture from the file's metadata)."""
    from ganpriors.config import ModelSettings
    from ganpriors.errors import GanpriorsError
    from ganpriors.io import load_tensors, state_dict_mismatch

    tensors, meta = load_tensors(path, "generator checkpoint")
    try:
        model = ModelSettings.model_validate(meta["model"])
    except Exception:
        raise GanpriorsError(f"{path}: generator file lacks a valid 'model' description; rerun its train stage") from None
    generator, _ = build_nets(model)
    try:
        generator.load_state_dict(tensors)
    except RuntimeError as exc:
        raise GanpriorsError(
            f"{path}: weights do not fit the {model.net} generator described in its metadata "
            f"({state_dict_mismatch(exc)}); rerun its train stage"
        ) from None
    return generator.to(device).eval(), meta
