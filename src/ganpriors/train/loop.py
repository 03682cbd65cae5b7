"""The training loop: one GAN per run and seed.

Reads the prepared dataset and the run's prior file; writes the generator (safetensors, see
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
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from ganpriors import __version__, timings
from ganpriors.artifacts import TRACE_PREFIX, run_record, save_trained
from ganpriors.environment import fingerprint as environment_fingerprint
from ganpriors.device import NondeterminismMonitor, make_deterministic, pick_device
from ganpriors.io import ensure_output_dir, load_checkpoint, save_checkpoint, sha256_file, write_json, write_text
from ganpriors.priors import load_prior
from ganpriors.train.batch import load_training_data
from ganpriors.train.hooks import exported_generator
from ganpriors.train.state import TrainState, snapshot_steps
from ganpriors.train.step import train_step

LOG_COLUMNS = ["step", "loss_d", "loss_g", "d_real", "d_fake"]  # timings: ganpriors.timings
CHECKPOINT_ROOT = Path(".ganpriors/checkpoints")


def run_fingerprint(run, seed: int, prior_sha: str, data_sha: str, hooks: dict | None = None) -> str:
    # Unset new options are left out, so that the checkpoints of runs that do not use them still resume.
    unset = {"instances"} if getattr(run, "instances", None) is None else set()
    record = {"run": run.model_dump(exclude={"device"} | unset), "seed": seed, "prior": prior_sha, "data": data_sha,
              "version": __version__}
    if hooks:  # a caller's hooks change the run: their checkpoints are not another run's
        record["hooks"] = {name: [f"{type(hook).__module__}.{type(hook).__qualname__}",
                                  {k: v for k, v in vars(hook).items() if isinstance(v, (bool, int, float, str))}]
                           for name, hook in hooks.items()}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


def train(run, seed: int, data_path: Path, prior_path: Path, out_dir: Path,
          checkpoint_root: Path = CHECKPOINT_ROOT, progress: bool = True, hooks: dict | None = None) -> dict:
    """Train one run and seed. `hooks` (name -> ganpriors.train.hooks.Hook) join the run's
    regularisers, after them."""
    torch.set_num_threads(run.threads)
    device = pick_device(run.device)
    make_deterministic(device)
    cfg = run.train

    prior = load_prior(prior_path)
    data = load_training_data(data_path, run, device, seed)
    out_dir = ensure_output_dir(out_dir)  # inputs are readable: fail now, not after training
    fingerprint = run_fingerprint(run, seed, sha256_file(prior_path), sha256_file(data_path), hooks)
    ckpt_path = Path(checkpoint_root) / run.name / f"seed{seed}-{fingerprint}.pt"
    checkpoint = load_checkpoint(ckpt_path, "training checkpoint") if ckpt_path.is_file() else None
    state = TrainState.create(run, seed, data, prior, device, checkpoint, hooks)
    # Inputs are valid here (an error stays one line): say which device, and which GPUs a
    # scheduler gave the job (Slurm's gres sets CUDA_VISIBLE_DEVICES).
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    print(f"train {run.name} seed {seed}: device {device}" + (f", CUDA_VISIBLE_DEVICES={visible}" if visible is not None
                                                              else ""), file=sys.stderr)
    snapshots = snapshot_steps(run)
    status, diverged_at = "completed", None
    elapsed_before, resumed_from = state.elapsed, state.step
    start = time.perf_counter()

    def save_progress():
        state.elapsed = elapsed_before + time.perf_counter() - start
        save_checkpoint(ckpt_path, state.state_dict())

    bar = tqdm(total=cfg.steps, initial=state.step, desc=f"train {run.name} seed {seed}", disable=not progress,
               mininterval=10.0, unit="step")
    state.train()
    # Hooks' log columns (stable names, NaN until a value exists), fixed before training.
    extra_columns = [k for hook in state.hooks.values() for k in hook.stats()]

    def record_snapshot():
        if state.step in snapshots:
            state.trace[f"{TRACE_PREFIX}{state.step:06d}"] = state.snapshot()

    record_snapshot()
    with NondeterminismMonitor() as monitor:
        while state.step < cfg.steps:
            result = train_step(state)
            state.step += 1
            bar.update(1)
            record_snapshot()

            if state.step % cfg.log_every == 0 or state.step == cfg.steps:
                ld, lg = result.loss_d.detach().item(), result.loss_g.detach().item()
                extra = {k: v for hook in state.hooks.values() for k, v in hook.stats().items()}
                state.rows.append([state.step, ld, lg, state.loss.score(result.d_real.detach()).mean().item(),
                                   state.loss.score(result.d_fake.detach()).mean().item()]
                                  + [extra.get(k) for k in extra_columns])
                if not (math.isfinite(ld) and math.isfinite(lg)):
                    status, diverged_at = "diverged", state.step
                    break
            if state.step % cfg.checkpoint_every == 0 and state.step < cfg.steps:
                save_progress()
    bar.close()
    step, rows = state.step, state.rows
    seconds = elapsed_before + time.perf_counter() - start

    meta = {**run_record(run, seed, state.prior), "steps": step, "status": status}
    weights_label, weights = exported_generator(state.hooks, state.generator)
    if weights_label is not None:
        meta["generator_weights"] = weights_label  # absent: G's own weights
    save_trained(out_dir / "generator.safetensors", weights, state.prior, state.hooks, state.trace, meta)
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
        "kernels": {"memory_format": cfg.memory_format, "adam": cfg.adam},  # what the throughput settings chose
        "final_loss_d": rows[-1][1] if rows else None,
        "final_loss_g": rows[-1][2] if rows else None,
        "torch": torch.__version__,
        "ganpriors": __version__,
    }
    if not state.prior.iid_per_dimension:
        summary["prior_description"] = state.prior.describe()
    summary["environment"] = environment_fingerprint(device.type)  # what produced these bits (ganpriors env --against)
    write_json(out_dir / "train.json", summary)
    timing = {"seconds": round(seconds, 3), "resumed_from_step": resumed_from,
              "steps_per_second": round((step - resumed_from) / max(time.perf_counter() - start, 1e-9), 3)}
    timings.record("train", f"{run.name}-seed{seed}", timing)
    if ckpt_path.exists():
        os.unlink(ckpt_path)
    return {**summary, **timing}


