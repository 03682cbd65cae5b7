"""Benchmarks: the prior's share of a training step, and no-op pipeline checks.

1. Training iterations per second for each run's prior against the same step fed by a plain
   torch.randn (the run's own training step: model, loss, regularisers, optimisers, its data batches).
   Each measurement is the median of `--repeats` interleaved timings of `--steps` steps.
2. Wall time of `snakemake -n` and `dvc status` on a completed workspace (`--workspace`).

Usage: python benchmarks/bench_pipeline.py [--params params.yaml] [--workspace .] [--device cpu]
       [--runs normal ...] [--steps 100] [--repeats 3] [--warmup 5] [--skip-priors] [--skip-noop]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

import torch

from ganpriors.config import load_params
from ganpriors.device import pick_device
from ganpriors.priors import build_prior, load_prior
from ganpriors.priors.base import Prior
from ganpriors.train.batch import load_training_data
from ganpriors.train.state import TrainState
from ganpriors.train.step import train_step


class RandnPrior(Prior):
    """The baseline: exactly torch.randn, nothing else."""

    def __init__(self):
        super().__init__(spec=None)

    def sample(self, n, dim, generator=None, device="cpu"):
        return torch.randn(n, dim, generator=generator, device=device)


def time_steps(prior, run, data, device, steps: int, warmup: int = 5) -> float:
    """Training steps per second of the run's own step (nets, loss, regularisers, batches) fed by `prior`."""
    state = TrainState.create(run, 0, data, prior, device)
    state.train()
    for _ in range(warmup):
        train_step(state)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        train_step(state)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


def baseline_steps(run, data, device, args) -> float | None:
    """time_steps with torch.randn; None for a run whose regularisers need its own prior (NEMGAN's
    mode matching reads the drawn modes), where no randn baseline exists."""
    try:
        return time_steps(RandnPrior(), run, data, device, args.steps, args.warmup)
    except (AttributeError, KeyError):
        return None


def time_sampling(prior, run, device, reps: int = 2000) -> float:
    rng = torch.Generator(device=device).manual_seed(0)
    start = time.perf_counter()
    for _ in range(reps):
        prior.sample(run.train.batch_size, run.model.z_dim, rng, device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / reps * 1e6


def bench_priors(args) -> None:
    params = load_params(args.params)
    device = pick_device(args.device)
    torch.set_num_threads(params.defaults.threads if device.type == "cpu" else 1)
    print(f"device {device}, torch threads {torch.get_num_threads()}, batch {params.defaults.train.batch_size}, "
          f"z_dim {params.defaults.model.z_dim}, {args.steps} steps x {args.repeats} repeats (median)")
    print(f"{'prior':<15}{'it/s prior':>12}{'it/s randn':>12}{'overhead':>10}{'sample us':>11}{'randn us':>10}")
    for name in args.runs or params.runs:
        run = params.resolve_run(name)
        data = load_training_data(Path(args.data), run, device)
        prior_path = Path(args.priors_dir) / name / "prior.safetensors"
        prior = load_prior(prior_path) if prior_path.exists() else build_prior(run.prior)
        if prior.needs_fit and not prior_path.exists():
            prior.fit()
        base, mine = [], []
        for _ in range(args.repeats):  # interleaved, so drifts in machine load hit both
            base.append(baseline_steps(run, data, device, args))
            mine.append(time_steps(prior, run, data, device, args.steps, args.warmup))
        m = statistics.median(mine)
        b = None if None in base else statistics.median(base)
        columns = f"{b:>12.2f}{(b / m - 1) * 100:>9.2f}%" if b is not None else f"{'n/a':>12}{'n/a':>10}"
        print(f"{name:<15}{m:>12.2f}{columns}"
              f"{time_sampling(prior, run, device, args.sampling_reps):>11.1f}"
              f"{time_sampling(RandnPrior(), run, device, args.sampling_reps):>10.1f}")


def bench_noop(workspace: Path) -> None:
    for cmd in (["snakemake", "-n", "--cores", "1", "--quiet"], ["dvc", "status"]):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            proc = subprocess.run(cmd, cwd=workspace, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
        last = (proc.stdout + proc.stderr).strip().splitlines()
        print(f"{' '.join(cmd):<32} median {statistics.median(times):6.2f} s  (exit {proc.returncode}; "
              f"says: {last[-1] if last else ''})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--data", default="data/prepared/fashion-mnist.safetensors")
    ap.add_argument("--priors-dir", default="results/priors")
    ap.add_argument("--workspace", default=".", help="a completed workspace for the no-op timings")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=5, help="untimed steps before each timing")
    ap.add_argument("--sampling-reps", type=int, default=2000)
    ap.add_argument("--runs", nargs="*", help="runs to time (default: all of the params file)")
    ap.add_argument("--skip-priors", action="store_true")
    ap.add_argument("--skip-noop", action="store_true")
    args = ap.parse_args()
    if not args.skip_priors:
        bench_priors(args)
    if not args.skip_noop:
        bench_noop(Path(args.workspace))


if __name__ == "__main__":
    main()
