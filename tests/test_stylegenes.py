import itertools
import math

import pytest
import torch
from pydantic import TypeAdapter

from ganpriors.config import StyleGenesProbeSettings
from ganpriors.metrics.latent_structure import (
    class_information,
    conditional_tables,
    entropy,
    kmeans_chunks,
    mutual_information,
    quantile_bins,
    sample_codes,
)
from ganpriors.nets.classifier import SmallCNN
from ganpriors.nets.dcgan import DCGANGenerator
from ganpriors.priors import build_prior
from ganpriors.priors.specs import PriorSpec
from ganpriors.probes.base import ProbeContext
from ganpriors.probes.stylegenes import _GeneUnits, probe_stylegenes
from ganpriors.report.common import grid_figure

SPEC = TypeAdapter(PriorSpec)


def prior(dim=None, **kw):
    p = build_prior(SPEC.validate_python(kw))
    if dim is not None:
        torch.manual_seed(0)
        p.build(dim)
    return p


def gene_bank(genes=4, variants=8, dim=16):
    return prior(dim, kind="gene_bank", genes=genes, variants=variants)


# -- gene bank ---------------------------------------------------------------------------------
def test_gene_bank_samples_variants_uniformly_and_reproducibly():
    p = gene_bank(genes=4, variants=8)
    n = 50_000
    z, info = p.sample_with_info(n, 16, torch.Generator().manual_seed(1))
    idx = info["variants"]
    assert z.shape == (n, 16) and idx.shape == (n, 4)
    for gene in range(4):
        counts = torch.bincount(idx[:, gene], minlength=8).double()
        chi2 = float(((counts - n / 8) ** 2 / (n / 8)).sum())
        assert chi2 < 40  # 7 degrees of freedom: P(chi2 > 40) < 1e-5
    z2, info2 = p.sample_with_info(n, 16, torch.Generator().manual_seed(1))
    assert torch.equal(z, z2) and torch.equal(idx, info2["variants"])
    # z is the concatenation of the selected bank rows
    banks = p.trainable_parameters()[0]
    assert torch.equal(z[7, 4:8], banks[1, idx[7, 1]])


def test_gene_bank_gradients_reach_only_selected_rows():
    p = gene_bank(genes=3, variants=16, dim=12)
    z, info = p.sample_with_info(5, 12, torch.Generator().manual_seed(0))
    (z * torch.randn(z.shape, generator=torch.Generator().manual_seed(2))).sum().backward()
    grad = p.trainable_parameters()[0].grad
    selected = torch.zeros(3, 16, dtype=torch.bool)
    selected[torch.arange(3).expand(5, 3), info["variants"]] = True
    assert (grad.abs().sum(-1) > 0).equal(selected)


def test_gene_bank_state_round_trip_describe_and_checks():
    p = gene_bank(genes=4, variants=8, dim=16)
    q = build_prior(p.spec, p.state())
    a = p.sample(64, 16, torch.Generator().manual_seed(3))
    b = q.sample(64, 16, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    d = q.describe()
    assert d["parameters"] == 4 * 8 * 4 and d["distinct_latents"] == 8 ** 4 and d["gene_dim"] == 4
    assert math.isclose(d["log10_distinct_latents"], 4 * math.log10(8))
    assert not q.iid_per_dimension
    bank = q.trainable_parameters()[0]
    assert q.to("cpu").trainable_parameters()[0] is bank and bank.is_leaf
    with pytest.raises(ValueError, match=r"gene banks have shape \(4, 8, 4\), latents of dim 32 need \(4, 8, 8\)"):
        q.build(32)  # restored banks hold 4-dimensional genes
    with pytest.raises(ValueError, match="model.z_dim 18 must be a multiple of prior.genes 4"):
        gene_bank(genes=4).build(18)  # not a multiple of the gene count


def test_gene_bank_builds_implicitly_from_global_rng():
    torch.manual_seed(5)
    p = prior(kind="gene_bank", genes=2, variants=4)
    p.sample(3, 8, torch.Generator().manual_seed(0))
    torch.manual_seed(5)
    assert torch.equal(p.state()["banks"], torch.randn(2, 4, 4))


# -- mapped normal -----------------------------------------------------------------------------
@pytest.mark.parametrize("layers", [1, 2, 4])
def test_mapped_normal_parameters_gradients_and_state(layers):
    dim, hidden = 12, 20
    p = prior(dim, kind="mapped_normal", hidden=hidden, layers=layers)
    widths = [dim] + [hidden] * (layers - 1) + [dim]
    expected = sum(a * b + b for a, b in itertools.pairwise(widths))
    assert p.describe()["parameters"] == expected and p.describe()["distinct_latents"] is None

    w, info = p.sample_with_info(8, dim, torch.Generator().manual_seed(0))
    assert w.shape == info["normal"].shape == (8, dim) and not torch.equal(w, info["normal"])
    w.pow(2).sum().backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in p.trainable_parameters())

    rng = torch.get_rng_state()
    q = build_prior(p.spec, p.state())
    assert torch.equal(torch.get_rng_state(), rng)  # restoring draws nothing
    g = torch.Generator()
    assert torch.equal(p.sample(5, dim, g.manual_seed(4)), q.sample(5, dim, g.manual_seed(4)))


# -- latent structure --------------------------------------------------------------------------
def test_mutual_information_bounds():
    g = torch.Generator().manual_seed(0)
    a = torch.randint(6, (20_000,), generator=g)
    b = torch.randint(6, (20_000,), generator=g)
    assert math.isclose(mutual_information(a, a), entropy(a, 6), rel_tol=1e-9)
    # closed forms, in nats: six equally frequent labels, and shares 1/2, 1/4, 1/4 (1.5 ln 2)
    assert entropy(torch.arange(6).repeat(100), 6) == pytest.approx(math.log(6), rel=1e-12)
    assert entropy(torch.tensor([0, 0, 1, 2]), 3) == pytest.approx(1.5 * math.log(2), rel=1e-12)
    assert entropy(torch.zeros(10, dtype=torch.long), 4) == 0.0
    pairs = torch.arange(4).repeat(50)  # I(x; x // 2) = H(x // 2) = ln 2 for x uniform on 0..3
    assert mutual_information(pairs, pairs // 2) == pytest.approx(math.log(2), rel=1e-12)
    assert mutual_information(a, b) < 0.005  # plug-in bias ~ 25 / 40000 nats
    labels = torch.randint(10, (5000,), generator=g)
    codes = torch.stack([labels, torch.randint(10, (5000,), generator=g)], 1)
    info = class_information(codes, labels, 10)
    assert math.isclose(info[0], 1.0) and info[1] < 0.02


def test_conditional_tables_recover_planted_distribution():
    g = torch.Generator().manual_seed(0)
    planted = torch.tensor([[[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]],
                            [[1 / 3, 1 / 3, 1 / 3], [0.0, 0.5, 0.5]]])  # units x classes x codes
    n = 40_000
    labels = torch.randint(2, (n,), generator=g)
    codes = torch.stack([torch.multinomial(planted[u][labels], 1, generator=g)[:, 0] for u in range(2)], 1)
    tables = conditional_tables(codes, labels, 3, 2, smoothing=0.0)
    assert tables.shape == (2, 2, 3) and torch.allclose(tables, planted.double(), atol=0.015)
    drawn = sample_codes(tables, 1, n, g)
    for u in range(2):
        freq = torch.bincount(drawn[:, u], minlength=3).double() / n
        assert torch.allclose(freq, planted[u, 1].double(), atol=0.015)
    # an unseen class gets a uniform table; smoothing adds counts
    assert torch.allclose(conditional_tables(codes, labels, 3, 3, 0.0)[:, 2], torch.full((2, 3), 1 / 3).double())
    assert (conditional_tables(codes[:10], labels[:10], 3, 2, 1.0) > 0).all()


def test_binning_shapes():
    x = torch.randn(1000, 8, generator=torch.Generator().manual_seed(0))
    bins = quantile_bins(x, 4)
    assert bins.shape == (1000, 8) and bins.dtype == torch.long
    assert (torch.stack([torch.bincount(bins[:, d], minlength=4) for d in range(8)]) == 250).all()
    codes, centers = kmeans_chunks(x, 4, 5, seed=0)
    assert codes.shape == (1000, 4) and codes.max() < 5 and len(centers) == 4 and centers[0].shape == (5, 2)
    with pytest.raises(ValueError):
        kmeans_chunks(x, 3, 5, seed=0)


# -- probe end to end --------------------------------------------------------------------------
SETTINGS = StyleGenesProbeSettings(n_samples=300, n_conditional=20, chunks=4, clusters=4, coordinate_bins=4,
                                   grid_variants=3, grid_per_class=2)
PRIORS = {
    "gene_bank": {"kind": "gene_bank", "genes": 4, "variants": 4},
    "normal": {"kind": "normal"},
    "mapped_normal": {"kind": "mapped_normal", "hidden": 16},
}


def context(spec: dict) -> ProbeContext:
    torch.manual_seed(0)
    p = build_prior(SPEC.validate_python(spec))
    p.build(16)
    return ProbeContext(run=None, generator=DCGANGenerator(z_dim=16, channels=4).eval(), prior=p.train(False),
                        aux={}, classifier=SmallCNN(width=4).eval(), test=None, group_of_class=None,
                        true_prior=None, train_log=None, settings=SETTINGS, z_dim=16, seed=0,
                        device=torch.device("cpu"))


@pytest.mark.parametrize("kind", list(PRIORS))
def test_probe_stylegenes_end_to_end(kind):
    ctx = context(PRIORS[kind])
    result = probe_stylegenes(ctx)
    num = result.numbers
    units = 4
    assert num["units"] == ("genes" if kind == "gene_bank" else "k-means chunks")
    assert len(num["unit_information"]) == units and len(num["coordinate_information"]) == 16
    for key in ("max_unit_information", "max_coordinate_information"):
        assert 0 <= num[key] <= 1
    assert len(num["conditional_accuracy"]) == 10
    assert all(0 <= a <= 1 for a in num["conditional_accuracy"])
    assert 0 <= num["mean_conditional_accuracy"] <= 1
    assert math.isclose(sum(num["unconditional_share"]), 1.0)
    assert num["describe"]["generator_parameters"] == sum(p.numel() for p in ctx.generator.parameters())
    swap, cond = result.grids["gene_swap"], result.grids["class_conditional"]
    assert (swap.rows, swap.cols, len(swap.row_labels), len(swap.col_labels)) == (units, 3, units, 3)
    assert (cond.rows, cond.cols, len(cond.row_labels)) == (10, 2, 10)
    for grid in (swap, cond):
        assert grid.images.shape == (grid.rows * grid.cols, 1, 28, 28) and grid.images.dtype == torch.uint8
    assert probe_stylegenes(context(PRIORS[kind])).numbers == num  # deterministic


class Embed(torch.nn.Module):
    """A stand-in generator that writes z into the first pixels, so the planted classifier reads it."""

    def forward(self, z):
        x = torch.zeros(len(z), 28 * 28)
        x[:, :z.shape[1]] = z
        return x.view(-1, 1, 28, 28)


class Nearest(torch.nn.Module):
    """A stand-in classifier: class k < 4 is the prototype nearest to latent coordinates 4..7."""

    def __init__(self, prototypes):
        super().__init__()
        self.prototypes = prototypes

    def forward(self, x):
        d = torch.cdist(x.flatten(1)[:, 4:8], self.prototypes)
        return torch.cat([-d, torch.full((len(x), 6), -1e9)], 1)


def planted(spec: dict) -> ProbeContext:
    ctx = context(spec)
    ctx.settings = SETTINGS.model_copy(update={"smoothing": 0.0})
    ctx.generator = Embed()
    if spec["kind"] == "gene_bank":
        prototypes = ctx.prior.trainable_parameters()[0][1].detach()  # class = variant of gene 1
    else:
        prototypes = torch.tensor([[2.0, 2, 0, 0], [2, -2, 0, 0], [-2, 2, 0, 0], [-2, -2, 0, 0]])
    ctx.classifier = Nearest(prototypes)
    return ctx


def test_probe_finds_planted_gene_and_samples_its_classes():
    num = probe_stylegenes(planted(PRIORS["gene_bank"])).numbers
    info = num["unit_information"]
    assert info[1] == pytest.approx(1.0) and max(info[0], info[2], info[3]) < 0.05
    assert num["unit_information_concentration"] > 0.9
    # gene 1's variant decides the class exactly; classes 4..9 never occur, so cannot be hit
    assert num["conditional_accuracy"] == [1.0] * 4 + [0.0] * 6
    assert num["unconditional_share"][4:] == [0.0] * 6


def test_probe_finds_planted_chunk_of_a_continuous_latent():
    ctx = planted(PRIORS["normal"])
    # 2-D chunks: coordinates 4 and 5, which decide the class, form chunk 2
    ctx.settings = ctx.settings.model_copy(update={"chunks": 8, "clusters": 8, "n_conditional": 100})
    num = probe_stylegenes(ctx).numbers
    info, coordinates = num["unit_information"], num["coordinate_information"]
    assert info[2] > 5 * max(info[:2] + info[3:])
    assert sorted(range(16), key=coordinates.__getitem__)[-2:] in ([4, 5], [5, 4])
    share, accuracy = num["unconditional_share"][:4], num["conditional_accuracy"][:4]
    assert all(a > s + 0.2 for a, s in zip(accuracy, share))


def test_gene_swap_changes_one_gene_per_row():
    ctx = context(PRIORS["gene_bank"])
    z, info = ctx.prior.sample_with_info(1, 16, torch.Generator().manual_seed(0))
    units = _GeneUnits(ctx.prior, info["variants"])
    swapped = units.swapped(2, 4).detach()
    changed = (swapped != z.detach()).view(4, 4, 4).any(-1)  # variants x genes
    assert not changed[:, [0, 1, 3]].any()
    assert changed[:, 2].sum() == 3  # every variant but the sample's own


def test_grid_figure_is_deterministic(tmp_path):
    grid = probe_stylegenes(context(PRIORS["normal"])).grids["gene_swap"]
    a = grid_figure(grid, "swap", tmp_path / "a.png", dpi=60).read_bytes()
    b = grid_figure(grid, "swap", tmp_path / "b.png", dpi=60).read_bytes()
    assert a[:8] == b"\x89PNG\r\n\x1a\n" and a == b
