"""Benchmarks: the prior's share of a training step, and no-op pipeline checks.

1. Training iterations per second for each run's prior against the same step fed by a plain
   torch.randn (the model, batch and optimiser of params.yaml's defaults; real data batches).
   Each measurement is the median of `--repeats` interleaved timings of `--steps` steps.
2. Wall time of `snakemake -n` and `dvc status` on a completed workspace (`--workspace`).

Usage: python benchmarks/bench_pipeline.py [--params params.yaml] [--workspace .] [--device cpu]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

import torch

from ganpriors import registry
from ganpriors.config import load_params
from ganpriors.data.datasets import load_split, to_unit_range
from ganpriors.device import pick_device
from ganpriors.nets import build_nets
from ganpriors.priors import build_prior, load_prior
from ganpriors.train import train_step


class RandnPrior:
    """The baseline: exactly torch.randn, nothing else."""

    def sample(self, n, dim, generator=None, device="cpu"):
        return torch.randn(n, dim, generator=generator, device=device)


def time_steps(prior, run, images, device, steps: int) -> float:
    torch.manual_seed(0)
    generator, discriminator = build_nets(run.model)
    generator.to(device)
    discriminator.to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=run.train.lr_g, betas=(run.train.beta1, run.train.beta2))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=run.train.lr_d, betas=(run.train.beta1, run.train.beta2))
    loss = registry.resolve(registry.LOSSES, run.train.loss)()
    rng = torch.Generator(device=device).manual_seed(0)
    bs = run.train.batch_size
    for i in range(5):  # warm-up
        train_step(generator, discriminator, opt_g, opt_d, loss, images[:bs], prior.sample(bs, run.model.z_dim, rng, device))
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(steps):
        real = images[(i * bs) % (len(images) - bs):][:bs]
        train_step(generator, discriminator, opt_g, opt_d, loss, real, prior.sample(bs, run.model.z_dim, rng, device))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


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
    images = to_unit_range(load_split(args.data, "train").images[:20000]).to(device)
    print(f"device {device}, torch threads {torch.get_num_threads()}, batch {params.defaults.train.batch_size}, "
          f"z_dim {params.defaults.model.z_dim}, {args.steps} steps x {args.repeats} repeats (median)")
    print(f"{'prior':<15}{'it/s prior':>12}{'it/s randn':>12}{'overhead':>10}{'sample us':>11}{'randn us':>10}")
    for name in params.runs:
        run = params.resolve_run(name)
        prior_path = Path(args.priors_dir) / name / "prior.safetensors"
        prior = load_prior(prior_path) if prior_path.exists() else build_prior(run.prior)
        if prior.needs_fit and not prior_path.exists():
            prior.fit()
        base, mine = [], []
        for _ in range(args.repeats):  # interleaved, so drifts in machine load hit both
            base.append(time_steps(RandnPrior(), run, images, device, args.steps))
            mine.append(time_steps(prior, run, images, device, args.steps))
        b, m = statistics.median(base), statistics.median(mine)
        print(f"{name:<15}{m:>12.2f}{b:>12.2f}{(b / m - 1) * 100:>9.2f}%"
              f"{time_sampling(prior, run, device):>11.1f}{time_sampling(RandnPrior(), run, device):>10.1f}")


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
    ap.add_argument("--skip-priors", action="store_true")
    ap.add_argument("--skip-noop", action="store_true")
    args = ap.parse_args()
    if not args.skip_priors:
        bench_priors(args)
    if not args.skip_noop:
        bench_noop(Path(args.workspace))


if __name__ == "__main__":
    main()
