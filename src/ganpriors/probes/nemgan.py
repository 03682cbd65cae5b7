"""NEMGAN probe: learned vs true mode prior, clustering with the inversion network, and how well
each latent mode generates one group of the view.

numbers:
  prior:        modes, learnable, pi (learned), true_pi, pi_error (pi - true), pi_l1, and the same
                for the equiprobable start (initial_pi, initial_l1)
  pi_trajectory: steps and pi per step from train_log.csv's pi_k columns, with step 0 = the
                equiprobable start prepended (for report.nemgan_figures.pi_trajectory_figure)
  clustering:   k-means on E_z(x_test) -> purity, nmi, ari; ec_accuracy = argmax E_c vs group
  conditional:  per mode (G(z | mode) labelled by the classifier and mapped to groups): the
                majority group and its share, the share of group m itself (aligned), the share
                outside the view; accuracy / aligned_accuracy are the means over modes
grids: "modes": one row of G(z | m) per mode.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from ganpriors.data.datasets import to_uint8, to_unit_range
from ganpriors.probes.base import Grid, ProbeContext, ProbeResult

BATCH = 500


def _batched(fn, x: torch.Tensor, device) -> list:
    """fn over chunks of x (moved to device); the list of fn's outputs."""
    return [fn(x[i:i + BATCH].to(device)) for i in range(0, len(x), BATCH)]


def _rng(ctx: ProbeContext) -> torch.Generator:
    return torch.Generator(device=ctx.device).manual_seed(ctx.seed)


def prior_numbers(pi: list[float], true: list[float]) -> dict:
    """Learned and initial (equiprobable) pi against the true group shares."""
    if len(pi) != len(true):
        raise ValueError(f"{len(pi)} modes but {len(true)} groups in the view: mode m must stand for group m")
    uniform = [1.0 / len(pi)] * len(pi)
    return {
        "modes": len(pi), "pi": pi, "true_pi": true,
        "pi_error": [p - t for p, t in zip(pi, true)],
        "pi_l1": float(sum(abs(p - t) for p, t in zip(pi, true))),
        "initial_pi": uniform,
        "initial_l1": float(sum(abs(p - t) for p, t in zip(uniform, true))),
    }


def pi_trajectory(train_log, modes: int) -> dict:
    """Logged pi over training, starting from the equiprobable logits every run starts from."""
    cols = [f"pi_{k}" for k in range(modes)]
    steps, pis = [0], [[1.0 / modes] * modes]
    if train_log is not None and all(c in train_log.columns for c in cols):
        log = train_log.dropna(subset=cols)
        steps += [int(s) for s in log["step"]]
        pis += log[cols].astype(float).values.tolist()
    return {"steps": steps, "pi": pis}


def purity(labels: np.ndarray, clusters: np.ndarray) -> float:
    """Share of points whose cluster's most common label is their own."""
    hits = sum(np.bincount(labels[clusters == k]).max() for k in np.unique(clusters))
    return float(hits / len(labels))


@torch.no_grad()
def clustering_numbers(ctx: ProbeContext, inversion) -> dict:
    outs = _batched(lambda x: inversion(to_unit_range(x)), ctx.test.images, ctx.device)
    z_hat = torch.cat([o[0] for o in outs]).cpu().double().numpy()
    modes = torch.cat([o[1].argmax(1) for o in outs]).cpu()
    labels = ctx.test.labels.cpu().numpy()
    km = KMeans(n_clusters=ctx.test.n_groups, n_init=ctx.settings.kmeans_restarts, random_state=ctx.seed)
    clusters = km.fit_predict(z_hat)
    return {
        "n": len(labels),
        "purity": purity(labels, clusters),
        "nmi": float(normalized_mutual_info_score(labels, clusters)),
        "ari": float(adjusted_rand_score(labels, clusters)),
        "ec_accuracy": float((modes == ctx.test.labels.cpu()).double().mean()),
    }


@torch.no_grad()
def generate_mode(ctx: ProbeContext, mode: int, n: int, rng: torch.Generator) -> torch.Tensor:
    """n uint8 images G(z | mode), on the CPU."""
    z = ctx.prior.sample_mode(n, ctx.z_dim, mode, rng, ctx.device)
    return torch.cat(_batched(lambda zz: to_uint8(ctx.model.generate(zz)).cpu(), z, ctx.device))


@torch.no_grad()
def mode_groups(ctx: ProbeContext, images: torch.Tensor) -> torch.Tensor:
    """Group of each image under the view: classifier argmax -> group (-1: outside the view)."""
    classes = torch.cat(_batched(lambda x: ctx.classifier(to_unit_range(x)).argmax(1).cpu(), images, ctx.device))
    return ctx.group_of_class.cpu()[classes]


def mode_numbers(mode: int, groups: torch.Tensor, n_groups: int) -> dict:
    """Majority group among the view's groups; shares are over all images, so images outside the
    view count against the mode."""
    counts = torch.bincount(groups[groups >= 0], minlength=n_groups).double()
    shares = (counts / len(groups)).tolist()
    majority = int(counts.argmax())
    return {
        "mode": mode, "majority_group": majority, "majority_share": shares[majority],
        "aligned_share": shares[mode] if mode < n_groups else 0.0,
        "outside_share": float((groups < 0).double().mean()), "group_shares": shares,
    }


def conditional_numbers(ctx: ProbeContext) -> dict:
    rng = _rng(ctx)
    per_mode = [mode_numbers(m, mode_groups(ctx, generate_mode(ctx, m, ctx.settings.n_per_mode, rng)),
                             ctx.test.n_groups)
                for m in range(ctx.prior.spec.modes)]
    return {
        "accuracy": float(np.mean([p["majority_share"] for p in per_mode])),
        "aligned_accuracy": float(np.mean([p["aligned_share"] for p in per_mode])),
        "per_mode": per_mode,
    }


def modes_grid(ctx: ProbeContext, pi: list[float]) -> Grid:
    rng, cols = _rng(ctx), ctx.settings.grid_per_mode
    images = torch.cat([generate_mode(ctx, m, cols, rng) for m in range(len(pi))])
    return Grid(images, len(pi), cols, row_labels=[f"mode {m} (pi={p:.2f})" for m, p in enumerate(pi)])


def probe_nemgan(ctx: ProbeContext) -> ProbeResult:
    inversion = ctx.aux["mode_matching"]["inversion"]
    pi = ctx.prior.pi.detach().cpu().tolist()
    numbers = {
        "prior": {**prior_numbers(pi, list(ctx.true_prior)), "learnable": ctx.prior.spec.learnable},
        "pi_trajectory": pi_trajectory(ctx.train_log, len(pi)),
        "clustering": clustering_numbers(ctx, inversion),
        "conditional": conditional_numbers(ctx),
    }
    return ProbeResult(numbers, {"modes": modes_grid(ctx, pi)})
