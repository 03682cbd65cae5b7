"""NEMGAN: the reparameterised mode prior, the mode-matching regulariser and the probe (tiny, CPU)."""
from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from ganpriors.config import NemganProbeSettings, ResolvedRun, ViewSettings
from ganpriors.data.views import ViewedSplit, apply_view, group_of_class, true_prior
from ganpriors.nets.classifier import SmallCNN
from ganpriors.nets.dcgan import DCGANGenerator
from ganpriors.nets.inversion import InversionNet
from ganpriors.priors.modes import ModesPrior
from ganpriors.priors.specs import ModesSpec
from ganpriors.probes.base import ProbeContext
from ganpriors.probes.nemgan import mode_numbers, probe_nemgan, purity
from ganpriors.regularisers.base import StepContext
from ganpriors.regularisers.mode_matching import ModeMatching
from ganpriors.report.nemgan_figures import pi_trajectory_figure

Z_DIM, BATCH = 8, 16


def modes_prior(pi=None, **spec) -> ModesPrior:
    spec = ModesSpec(kind="modes", **{"modes": len(pi) if pi else 3, **spec})
    return ModesPrior(spec, {"logits": torch.tensor(pi).log()} if pi else None)


def rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# -- the data view -------------------------------------------------------------------------------

def ten_classes(per_class: int = 40):
    """per_class images of each class 0..9, interleaved; image i holds the value i in every pixel so
    that it can be traced through the view."""
    labels = torch.arange(10 * per_class) % 10
    images = torch.arange(10 * per_class).view(-1, 1, 1, 1).expand(-1, 1, 2, 2)
    return images, labels


def test_view_resamples_two_classes_to_80_20_and_its_true_prior_is_that_share():
    images, labels = ten_classes()
    view = ViewSettings(groups=[[3], [7]], proportions=[0.8, 0.2], seed=1)
    split = apply_view(images, labels, view)
    # 40 of each class: the largest N with 0.8 N <= 40 and 0.2 N <= 40 is 50 -> 40 of class 3, 10 of class 7
    assert split.n_groups == 2 and len(split.labels) == 50
    assert torch.bincount(split.labels).tolist() == [40, 10]
    assert torch.equal(split.classes, torch.where(split.labels == 0, 3, 7))
    assert torch.equal(split.images[:, 0, 0, 0] % 10, split.classes)  # the images of those classes
    assert (split.images[:, 0, 0, 0].diff() > 0).all()  # in their original order, so batches mix groups
    assert true_prior(split) == pytest.approx([0.8, 0.2])
    kept = set(split.images[split.labels == 1, 0, 0, 0].tolist())
    other = apply_view(images, labels, ViewSettings(groups=[[3], [7]], proportions=[0.8, 0.2], seed=2))
    assert len(kept) == 10 and kept != set(other.images[other.labels == 1, 0, 0, 0].tolist())  # seeded subset
    assert torch.equal(apply_view(images, labels, view).images, split.images)


def test_view_regroups_into_super_classes_with_their_true_prior():
    images, labels = ten_classes()
    groups = [[0, 2, 4], [1], [3, 5, 6], [7, 9], [8]]  # 3, 1, 3, 2 and 1 classes of 40 images
    split = apply_view(images, labels, ViewSettings(groups=groups, proportions=[0.3, 0.1, 0.3, 0.2, 0.1]))
    assert len(split.labels) == 400  # the shares are the classes' own: every image is kept
    assert true_prior(split) == pytest.approx([0.3, 0.1, 0.3, 0.2, 0.1])
    assert torch.equal(split.labels, group_of_class(groups)[labels])
    only = apply_view(images, labels, ViewSettings(groups=[[5, 6], [1]]))  # no proportions: every image of the groups
    assert len(only.labels) == 120 and true_prior(only) == pytest.approx([2 / 3, 1 / 3])
    assert set(only.classes.tolist()) == {1, 5, 6}
    whole = apply_view(images, labels, None)
    assert whole.n_groups == 10 and torch.equal(whole.labels, labels) and torch.equal(whole.images, images)


# -- the prior -------------------------------------------------------------------------------------

def test_planted_pi_gives_mode_frequencies_and_nearly_one_hot_w():
    planted = [0.3, 0.1, 0.3, 0.2, 0.1]
    w, c = modes_prior(planted).soft_modes(100_000, rng())
    freq = torch.bincount(c, minlength=5).double() / len(c)
    assert torch.allclose(freq, torch.tensor(planted, dtype=torch.float64), atol=0.01)
    assert torch.allclose(w.mean(0), torch.tensor(planted), atol=0.01)
    assert torch.allclose(w.sum(1), torch.ones(len(w)), atol=1e-5)
    assert torch.equal(w.argmax(1), c)
    assert w.max(1).values.mean() > 0.9  # sharpness 100: blends near the steps
    w_sharp, _ = modes_prior(planted, sharpness=1e4).soft_modes(10_000, rng())
    assert (w_sharp.max(1).values > 0.99).double().mean() > 0.99


def test_gradients_reach_the_logits_and_kl_steps_move_pi_to_a_target():
    prior = modes_prior(None, modes=2)
    w, _ = prior.soft_modes(512, rng(), detach_pi=False)
    w.mean(0)[0].backward()
    assert prior.logits.grad is not None and prior.logits.grad.abs().sum() > 0

    target = torch.tensor([0.8, 0.2])
    opt = torch.optim.Adam([prior.logits], lr=0.05)
    gen = rng(1)
    start = (prior.pi - target).abs().sum().item()
    for _ in range(60):
        q = prior.soft_modes(1024, gen, detach_pi=False)[0].mean(0)
        loss = (target * (target.log() - q.log())).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert (prior.pi - target).abs().sum().item() < start / 4


def test_latents_carry_the_code_in_the_last_coordinates_and_bounded_noise():
    prior = modes_prior(None, modes=3, noise=0.3)
    z, info = prior.sample_with_info(2000, Z_DIM, rng())
    w, c = info["w"], info["modes"]
    assert z.shape == (2000, Z_DIM) and not w.requires_grad
    assert z[:, :-3].abs().max() <= 0.3
    onehot_c = torch.nn.functional.one_hot(c, 3).float()
    assert (z[:, -3:] - onehot_c).abs().max() <= 0.3 + 1e-6
    assert torch.equal(w.argmax(1), c)
    exact = modes_prior(None, modes=3, noise=0.0).sample_with_info(50, Z_DIM, rng())
    # G sees the hard one-hot of the drawn mode (the sharp-step limit of w), no noise here
    assert torch.equal(exact[0][:, -3:], torch.nn.functional.one_hot(exact[1]["modes"], 3).float())
    assert exact[0][:, :-3].abs().max() == 0

    z = prior.sample_mode(500, Z_DIM, 2, rng())
    onehot = torch.tensor([0.0, 0.0, 1.0])
    assert (z[:, -3:] - onehot).abs().max() <= 0.3 and z[:, :-3].abs().max() <= 0.3
    assert torch.equal(z[:, -3:].argmax(1), torch.full((500,), 2))
    with pytest.raises(ValueError, match=r"mode 3 is outside 0\.\.2"):
        prior.sample_mode(1, Z_DIM, 3, rng())


def test_prior_state_and_description_round_trip():
    prior = modes_prior([0.5, 0.3, 0.2], learnable=True)
    again = ModesPrior(prior.spec, prior.state())
    assert torch.equal(again.pi, prior.pi) and not prior.iid_per_dimension
    assert prior.trainable_parameters() == []
    d = again.describe()
    assert d["modes"] == 3 and d["learnable"] and abs(d["pi"][0] - 0.5) < 1e-6


# -- the regulariser -------------------------------------------------------------------------------

def resolved_run(n_sup: int, warmup: int) -> ResolvedRun:
    return ResolvedRun.model_validate({
        "name": "nemgan_tiny", "device": "cpu",
        "model": {"net": "dcgan", "z_dim": Z_DIM, "g_channels": 4, "d_channels": 4, "d_norm": "none"},
        "train": {"loss": "wgan-gp", "steps": 10, "batch_size": BATCH, "lr_g": 1e-4, "lr_d": 1e-4,
                  "beta1": 0.5, "beta2": 0.9, "log_every": 1, "checkpoint_every": 10},
        "prior": {"kind": "modes", "modes": 3, "learnable": True},
        "view": {"groups": [[0], [1], [2]]},
        "regularisers": {"mode_matching": {"channels": 4, "n_sup": n_sup, "prior_warmup": warmup,
                                           "prior_lr": 0.01}},
    })


class Data:
    """60 random images in three groups of 40 / 15 / 5."""

    def __init__(self):
        self.images = torch.rand(60, 1, 28, 28, generator=rng(5)) * 2 - 1
        self.labels = torch.tensor([0] * 40 + [1] * 15 + [2] * 5)[torch.randperm(60, generator=rng(6))]


def build(run: ResolvedRun, prior: ModesPrior | None = None, data=None):
    prior = prior or ModesPrior(run.prior)
    return ModeMatching(run.regularisers["mode_matching"], run=run, prior=prior, data=data or Data(),
                        image_shape=(1, 28, 28), device="cpu", seed=3)


def context(step: int, prior: ModesPrior, generator=None, seed: int = 0) -> StepContext:
    z, info = prior.sample_with_info(BATCH, Z_DIM, rng(seed))
    fake = generator(z) if generator is not None else torch.tanh(z.sum(1)).view(-1, 1, 1, 1).expand(-1, 1, 28, 28)
    real = torch.rand(BATCH, 1, 28, 28, generator=rng(seed + 100)) * 2 - 1
    return StepContext(step, real, z, info, fake, generator, None, prior)


def test_generator_term_trains_the_generator_and_the_inversion_network():
    torch.manual_seed(0)
    run = resolved_run(n_sup=30, warmup=2)
    reg = build(run)
    g = DCGANGenerator(z_dim=Z_DIM, channels=4)
    term = reg.generator_term(context(0, reg.prior, g))
    assert torch.isfinite(term)
    term.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in g.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in reg.inversion.parameters())
    assert reg.prior.logits.grad is None  # pi is frozen during the G / E update
    stats = reg.stats()
    assert list(stats) == ["match_z", "match_mode", "sup", "prior_kl", "pi_0", "pi_1", "pi_2"]
    assert math.isfinite(stats["sup"]) and math.isnan(stats["prior_kl"])


def test_generator_term_is_mse_to_z_plus_cross_entropy_to_the_drawn_mode():
    reg = build(resolved_run(n_sup=0, warmup=0))
    ctx = context(0, reg.prior)
    reg.inversion = lambda x: (torch.zeros(len(x), Z_DIM), torch.tensor([[2.0, 0.0, 0.0]]).expand(len(x), -1))
    term = reg.generator_term(ctx)
    # E_z = 0: MSE = mean z^2; E_c logits (2, 0, 0): -log softmax = ln(e^2 + 2) - 2 for mode 0, ln(e^2 + 2) else
    mse = sum(v * v for v in ctx.z.flatten().tolist()) / ctx.z.numel()
    modes = ctx.info["modes"].tolist()
    ce = sum(math.log(math.exp(2) + 2) - (2 if c == 0 else 0) for c in modes) / len(modes)
    assert 0 < modes.count(0) < len(modes)  # both kinds of row are in the batch
    stats, o = reg.stats(), reg.options
    assert stats["match_z"] == pytest.approx(mse, rel=1e-6) and stats["match_mode"] == pytest.approx(ce, rel=1e-6)
    assert term.item() == pytest.approx(o.z_weight * mse + o.mode_weight * ce, rel=1e-6)


def test_prior_update_starts_after_the_warm_up():
    torch.manual_seed(0)
    reg = build(resolved_run(n_sup=0, warmup=2))
    start = reg.prior.logits.detach().clone()
    for step in range(2):
        reg.after_g_step(context(step, reg.prior))
        assert torch.equal(reg.prior.logits.detach(), start)
    reg.after_g_step(context(2, reg.prior))
    assert not torch.equal(reg.prior.logits.detach(), start)
    assert math.isfinite(reg.stats()["prior_kl"]) and "sup" not in reg.stats()


def test_learned_pi_moves_to_the_mode_shares_the_inversion_sees_on_real_data():
    """E_c's softmax on real data stubbed to [0.6, 0.3, 0.1]: each after_g_step is one Adam step on
    KL(p_real || mean w) (p_real first), and pi ends near p_real. The batch mean of w inside the
    log biases the fixed point toward uniform by about (1 - q) / (2 n q) (at 16 draws pi stalls near
    [0.54, 0.30, 0.16]); 256 draws make that bias negligible here."""
    torch.manual_seed(0)
    reg = build(resolved_run(n_sup=0, warmup=0))
    reg.batch_size = 256
    target = torch.tensor([0.6, 0.3, 0.1])
    reg.inversion = lambda x: (None, target.log().expand(len(x), -1))
    state = reg.prior_rng.get_state()
    q = reg.prior.soft_modes(256, torch.Generator().set_state(state))[0].mean(0)  # the first update's draw
    reg.after_g_step(context(0, reg.prior))
    kl = sum(p * math.log(p / float(qk)) for p, qk in zip(target.tolist(), q))
    assert reg.stats()["prior_kl"] == pytest.approx(kl, rel=1e-5)
    assert reg.prior.pi[0] > 1 / 3 > reg.prior.pi[2]  # the first step already goes the right way
    for step in range(1, 300):
        reg.after_g_step(context(step, reg.prior, seed=step % 7))
    assert (reg.prior.pi.detach() - target).abs().sum() < 0.03


def test_supervision_batches_are_class_balanced_and_seeded():
    torch.manual_seed(0)
    reg = build(resolved_run(n_sup=30, warmup=0))
    assert torch.bincount(reg.sup_labels, minlength=3).min() > 0  # 30 of 60 keeps each group here
    labels = torch.cat([reg.supervision_batch()[1] for _ in range(300)])
    share = torch.bincount(labels, minlength=3).double() / len(labels)
    assert torch.allclose(share, torch.full((3,), 1 / 3, dtype=torch.float64), atol=0.03)
    assert torch.equal(build(resolved_run(n_sup=30, warmup=0)).sup_images, reg.sup_images)


def train_once(reg: ModeMatching, step: int) -> None:
    ctx = context(step, reg.prior, seed=step)
    term = reg.generator_term(ctx)
    reg.opt.zero_grad()
    term.backward()
    reg.opt.step()
    reg.after_g_step(ctx)


def test_state_dict_round_trip_continues_identically():
    torch.manual_seed(0)
    run = resolved_run(n_sup=30, warmup=0)
    first = build(run)
    for step in range(3):
        train_once(first, step)
    buffer = io.BytesIO()
    torch.save({"reg": first.state_dict(), "prior": first.prior.state()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)

    torch.manual_seed(1)  # a different initialisation, overwritten by the state
    second = build(run, ModesPrior(run.prior, saved["prior"]))
    second.load_state_dict(saved["reg"])
    for step in range(3, 6):
        train_once(first, step)
        train_once(second, step)
    assert torch.equal(first.prior.logits, second.prior.logits)
    assert all(torch.equal(a, b) for a, b in zip(first.inversion.parameters(), second.inversion.parameters()))
    assert first.stats() == second.stats()


# -- the probe and its figure ----------------------------------------------------------------------

def probe_context(seed: int = 0) -> ProbeContext:
    torch.manual_seed(0)
    prior = modes_prior([0.7, 0.3])
    labels = (torch.arange(200) % 5 == 0).long()
    test = ViewedSplit(torch.randint(0, 256, (200, 1, 28, 28), dtype=torch.uint8, generator=rng(2)),
                       labels, labels * 5, n_groups=2)
    log = pd.DataFrame({"step": [5, 10], "loss_d": [0.1, 0.2], "pi_0": [0.55, 0.6], "pi_1": [0.45, 0.4]})
    return ProbeContext(
        run=resolved_run(n_sup=0, warmup=0), generator=DCGANGenerator(Z_DIM, 4).eval(), prior=prior,
        aux={"mode_matching": {"inversion": InversionNet(Z_DIM, 2, 4).eval()}},
        classifier=SmallCNN(width=4).eval(), test=test,
        group_of_class=group_of_class([[0, 1, 2, 3, 4], [5, 6, 7, 8]]), true_prior=[0.8, 0.2],
        train_log=log, settings=NemganProbeSettings(n_per_mode=20, grid_per_mode=3, kmeans_restarts=2),
        z_dim=Z_DIM, seed=seed, device=torch.device("cpu"))


def test_purity_counts_each_clusters_majority_label():
    # cluster 0 = {label 0}: 1 hit; cluster 1 = {0, 1, 1}: majority 1, 2 hits -> 3 / 4
    assert purity(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])) == 0.75
    assert purity(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])) == 1.0  # cluster ids need not match labels
    assert purity(np.array([2, 2, 2, 0, 1]), np.array([5, 5, 5, 5, 5])) == pytest.approx(0.6)  # one cluster
    assert purity(np.array([0, 1, 2, 0]), np.array([0, 1, 2, 3])) == 1.0  # singletons are pure


def test_mode_numbers_shares_are_over_all_images_including_those_outside_the_view():
    groups = torch.tensor([0, 0, 1, -1, 1, 1, 1, -1])  # 2 of group 0, 4 of group 1, 2 outside
    n = mode_numbers(0, groups, 2)
    assert n == {"mode": 0, "majority_group": 1, "majority_share": 0.5, "aligned_share": 0.25,
                 "outside_share": 0.25, "group_shares": [0.25, 0.5]}
    assert mode_numbers(1, groups, 2)["aligned_share"] == 0.5
    assert mode_numbers(2, groups, 2)["aligned_share"] == 0.0  # a mode without a group of its own
    three = mode_numbers(1, torch.tensor([2, 2, 2]), 3)
    assert three["group_shares"] == [0.0, 0.0, 1.0] and three["majority_group"] == 2 and three["aligned_share"] == 0


def test_probe_end_to_end(tmp_path):
    result = probe_nemgan(probe_context())
    n = result.numbers
    json.dumps(n, allow_nan=False)
    assert n["prior"]["pi_l1"] == pytest.approx(0.2, abs=1e-5)
    assert n["prior"]["initial_l1"] == pytest.approx(0.6)
    assert n["pi_trajectory"] == {"steps": [0, 5, 10], "pi": [[0.5, 0.5], [0.55, 0.45], [0.6, 0.4]]}
    c = n["clustering"]
    assert c["n"] == 200 and 0.5 <= c["purity"] <= 1 and 0 <= c["nmi"] <= 1 and -1 <= c["ari"] <= 1
    assert 0 <= c["ec_accuracy"] <= 1
    cond = n["conditional"]
    assert len(cond["per_mode"]) == 2 and 0 <= cond["aligned_accuracy"] <= cond["accuracy"] + 1e-9 <= 1 + 1e-9
    for m in cond["per_mode"]:
        assert m["majority_share"] + sum(s for g, s in enumerate(m["group_shares"]) if g != m["majority_group"]) \
            + m["outside_share"] == pytest.approx(1.0)
    grid = result.grids["modes"]
    assert grid.images.shape == (6, 1, 28, 28) and grid.images.dtype == torch.uint8
    assert (grid.rows, grid.cols) == (2, 3) and grid.row_labels == ["mode 0 (pi=0.70)", "mode 1 (pi=0.30)"]

    again = probe_nemgan(probe_context())
    assert again.numbers == n and torch.equal(again.grids["modes"].images, grid.images)

    t = n["pi_trajectory"]
    path = pi_trajectory_figure({"nemgan_p": {**t, "true": n["prior"]["true_pi"]},
                                 "nemgan": {"steps": [0], "pi": [[0.5, 0.5]], "true": [0.8, 0.2]}},
                                tmp_path / "pi.png", dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
