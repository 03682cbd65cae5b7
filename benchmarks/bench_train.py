"""Benchmark: training throughput on the CPU against the machine's own limit.

For each distinct network/loss configuration among the params file's runs (or --runs), the run's
own training step (nets, loss, regularisers, optimisers) with each kernel choice of
`train.memory_format` x `train.adam`, in steps per second (median of interleaved repeats), the
GFLOP of one step (torch.utils.flop_counter, forward and backward of every update in it) and the
fraction of the measured single-thread fp32 matmul peak that this reaches. With --jobs N, N copies
run at once, one thread each (how Snakemake runs training on N cores), and the sum is reported
next to one job with N threads.

Usage: python benchmarks/bench_train.py [--params params.yaml] [--runs normal sg_normal ...] [--steps 30]
       [--repeats 3] [--jobs 2]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time

import torch

from ganpriors.config import load_params
from ganpriors.priors import build_prior
from ganpriors.train.batch import TrainingData
from ganpriors.train.state import TrainState
from ganpriors.train.step import train_step

VARIANTS = [("contiguous", "foreach"), ("channels_last", "foreach"), ("contiguous", "fused"), ("channels_last", "fused")]


def matmul_peak(threads: int = 1, n: int = 1024, reps: int = 20) -> float:
    """GFLOP/s of an n x n fp32 matmul at `threads` threads (best of reps)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def make_state(params, name: str, memory_format: str, adam: str):
    run = params.resolve_run(name)
    run = run.model_copy(update={"train": run.train.model_copy(update={"memory_format": memory_format, "adam": adam})})
    g = torch.Generator().manual_seed(0)
    # Random images of Fashion-MNIST's shape: the step's cost does not depend on the pixels.
    data = TrainingData(torch.rand(4096, 1, 28, 28, generator=g) * 2 - 1, torch.zeros(4096, dtype=torch.long), 1)
    if run.view is not None:
        data = TrainingData(data.images, torch.randint(0, run.prior.modes, (4096,), generator=g), run.prior.modes)
    state = TrainState.create(run, 0, data, build_prior(run.prior), torch.device("cpu"))
    state.train()
    return state


def step_gflop(params, name: str) -> float | None:
    """None where the flop counter cannot follow the step (WGAN-GP's double backward)."""
    from torch.utils.flop_counter import FlopCounterMode

    state = make_state(params, name, "contiguous", "foreach")
    train_step(state)
    try:
        with FlopCounterMode(display=False) as counter:
            train_step(state)
    except RuntimeError:
        return None
    return counter.get_total_flops() / 1e9


def steps_per_second(params, name, memory_format, adam, steps, threads, warmup=3) -> float:
    torch.set_num_threads(threads)
    state = make_state(params, name, memory_format, adam)
    for _ in range(warmup):
        train_step(state)
    start = time.perf_counter()
    for _ in range(steps):
        train_step(state)
    return steps / (time.perf_counter() - start)


def _job(args):
    return steps_per_second(*args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--runs", nargs="*", help="runs to time (default: one per distinct model/train configuration)")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1, help="also time N concurrent one-thread jobs against one N-thread job")
    args = ap.parse_args()
    params = load_params(args.params)
    names, seen = [], set()
    for name in args.runs or params.runs:
        run = params.resolve_run(name)
        key = (run.model.model_dump_json(), run.train.loss, run.train.n_critic, run.dataset is None,
               tuple(run.regularisers))
        if (args.runs or run.dataset is None) and key not in seen:
            seen.add(key)
            names.append(name)
    peak = matmul_peak()
    print(f"single-thread fp32 matmul peak {peak:.1f} GFLOP/s (1024^3, best of 20); {args.steps} steps x "
          f"{args.repeats} repeats, median; torch {torch.__version__}")
    print(f"{'run':<16}{'GFLOP/step':>11}  " + "".join(f"{m[:8] + '/' + a:>22}" for m, a in VARIANTS) + "  best % of peak")
    for name in names:
        gflop = step_gflop(params, name)
        rates = {v: [] for v in VARIANTS}
        for _ in range(args.repeats):  # interleaved, so that drifts in load hit every variant
            for v in VARIANTS:
                rates[v].append(steps_per_second(params, name, *v, args.steps, 1))
        med = {v: statistics.median(r) for v, r in rates.items()}
        best = max(med, key=med.get)
        share = f"{100 * med[best] * gflop / peak:.0f}%" if gflop else "n/a"
        print(f"{name:<16}{gflop or float('nan'):>11.2f}  " + "".join(f"{med[v]:>16.2f} it/s " for v in VARIANTS)
              + f"  {'/'.join(best)} {share}")
        if args.jobs > 1:
            with mp.get_context("spawn").Pool(args.jobs) as pool:
                concurrent = pool.map(_job, [(params, name, *best, args.steps, 1)] * args.jobs)
            one = steps_per_second(params, name, *best, args.steps, args.jobs)
            print(f"{'':<16}{args.jobs} jobs x 1 thread: {sum(concurrent):.2f} it/s in all "
                  f"({', '.join(f'{r:.2f}' for r in concurrent)}); 1 job x {args.jobs} threads: {one:.2f} it/s")


if __name__ == "__main__":
    main()
