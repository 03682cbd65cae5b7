"""IC-GAN (Casanova et al. 2021) as components: the neighbourhoods against a brute-force search
(chunked), the deterministic instance choice, real batches from the neighbourhoods, the fakes'
instance features from their own stream, feature conditioning in G and D, training steps with a
bitwise resume, the generator file sampled around its instances and around a held-out image, and
the bad inputs as one-line errors (tiny nets, CPU, one thread)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from ganpriors.config import validate_params
from ganpriors.data.neighbourhoods import (INSTANCE_STREAM, choose_instances, classifier_features,
                                           nearest_neighbours, neighbour_label_purity, normalised)
from ganpriors.errors import GanpriorsError
from ganpriors.nets import build_nets
from ganpriors.priors import build_prior
from ganpriors.train.conditioning import INSTANCE_STREAM as FAKE_STREAM
from ganpriors.train.instance_data import instance_data
from ganpriors.train.rngs import RngStreams, stream_seed
from ganpriors.train.state import TrainState
from ganpriors.train.step import train_step

from survey_runs import INSTANCE_RUNS, PINNED, RUNS, images_and_labels, raw_params, survey_run
from state_helpers import assert_resumes_bitwise, same, saved_and_loaded, steps

FEATURE_DIM = 6


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


def random_features(n: int = 64, d: int = FEATURE_DIM, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def tiny_instance_data(run, seed: int = 0):
    images, labels = images_and_labels(64)
    return instance_data(images, labels, 10, random_features(), run.instances, seed, "cpu")


# -- neighbourhoods and instances ----------------------------------------------------------------------------

def brute_force_neighbours(features: torch.Tensor, instances: torch.Tensor, k: int) -> torch.Tensor:
    """Squared L2 distances on the normalised features, the instance itself excluded, k smallest."""
    rows = []
    for i in instances.tolist():
        dist = [(float(((features[i] - features[j]) ** 2).sum()), j) for j in range(len(features)) if j != i]
        rows.append([j for _, j in sorted(dist)[:k]])
    return torch.tensor(rows)


@pytest.mark.parametrize("chunk", [1, 3, 7, 100])
def test_neighbourhoods_are_the_brute_force_ones_whatever_the_chunk(chunk):
    features = normalised(random_features(40, 5))
    instances = torch.tensor([0, 3, 4, 17, 25, 26, 39])
    found = nearest_neighbours(features, instances, 4, chunk=chunk)
    assert torch.equal(found, brute_force_neighbours(features, instances, 4))
    assert not (found == instances[:, None]).any()  # never its own neighbour


def test_a_duplicate_image_is_a_neighbour_but_the_instance_is_not():
    features = normalised(random_features(10, 3))
    features[7] = features[2]  # an exact duplicate of instance 2: similarity 1, like the instance itself
    found = nearest_neighbours(features, torch.tensor([2]), 3)
    assert found[0, 0] == 7 and 2 not in found[0].tolist()


def test_features_are_l2_normalised_rows():
    f = torch.cat([random_features(5, 4), torch.zeros(1, 4)])
    n = normalised(f)
    assert torch.allclose(n[:5].norm(dim=1), torch.ones(5)) and torch.equal(n[5], torch.zeros(4))
    assert torch.allclose(n[:5] * f[:5].norm(dim=1, keepdim=True), f[:5])


def test_instances_are_chosen_by_the_named_stream():
    expected = torch.randperm(50, generator=torch.Generator().manual_seed(stream_seed(INSTANCE_STREAM, 3)))[:7]
    chosen = choose_instances(50, 7, seed=3)
    assert torch.equal(chosen, expected.sort().values)
    assert torch.equal(choose_instances(50, 7, seed=3), chosen) and not torch.equal(choose_instances(50, 7, 4), chosen)
    assert torch.equal(choose_instances(50, None, seed=3), torch.arange(50))  # the paper's M = N
    assert stream_seed(INSTANCE_STREAM, 3) not in {stream_seed(s, 3) for s in ("data", "z", "loss", "snapshot",
                                                                                 "labels", FAKE_STREAM)}


def test_neighbour_label_purity_by_hand():
    labels = torch.tensor([0, 0, 1, 1, 0])
    assert neighbour_label_purity(labels, torch.tensor([0, 2]), torch.tensor([[1, 2], [3, 4]])) == 0.5


# -- batches and the fakes' conditioning --------------------------------------------------------------------

def test_real_batches_are_drawn_from_their_instances_neighbourhoods():
    run = survey_run("icgan")
    data = tiny_instance_data(run)
    assert len(data.instances) == 12 and data.neighbours.shape == (12, 3)
    rng = torch.Generator().manual_seed(5)
    copy = torch.Generator().manual_seed(5)
    batches = data.batches(8, rng)
    slot_of = {int(i): s for s, i in enumerate(data.instances)}
    for _ in range(4):
        batch = batches.next()
        inst, image = batch.extras["instance"], batch.extras["image"]
        slot = torch.randint(12, (8,), generator=copy)  # instance uniform, then neighbour uniform
        assert torch.equal(inst, data.instances[slot])
        assert torch.equal(image, data.neighbours[slot, torch.randint(3, (8,), generator=copy)])
        for i, n in zip(inst.tolist(), image.tolist()):
            assert n in data.neighbours[slot_of[i]].tolist() and n != i
        assert torch.equal(batch.x, data.images[image]) and torch.equal(batch.y, data.features[inst])
        assert torch.allclose(batch.y.norm(dim=1), torch.ones(8))
        assert torch.equal(batch.extras["labels"], data.labels[image])


def test_fakes_get_instance_features_from_their_own_stream():
    run = survey_run("icgan")
    data = tiny_instance_data(run)
    hook = TrainState.create(run, 0, data, build_prior(run.prior), "cpu").hooks["instances"]
    ctx = SimpleNamespace(info={}, rngs=RngStreams(0, "cpu"))
    hook.prepare_latents(torch.zeros(5, 16), ctx)
    slot = torch.randint(12, (5,), generator=torch.Generator().manual_seed(stream_seed(FAKE_STREAM, 0)))
    assert torch.equal(ctx.info["instance"], data.instances[slot])
    assert torch.equal(ctx.info["y"], data.features[data.instances[slot]])
    with pytest.raises(ValueError, match="the prior drew labels"):
        hook.prepare_latents(torch.zeros(5, 16), ctx)


# -- feature conditioning in G and D ---------------------------------------------------------------------------

def test_g_and_d_are_conditioned_on_the_feature_vector():
    run = survey_run("icgan")
    torch.manual_seed(0)
    g, d = build_nets(run.model, (1, 28, 28), feature_dim=FEATURE_DIM)
    g.eval()
    d.eval()  # fixed normalised weights for the hand computation
    z = torch.randn(4, 16)
    h, other = normalised(random_features(4, seed=2)), normalised(random_features(4, seed=3))
    x = g(z, h)
    assert x.shape == (4, 1, 28, 28)
    assert not torch.allclose(x, g(z, other))                        # the conditioning path is used
    assert isinstance(g.shared, torch.nn.Linear) and g.shared.in_features == FEATURE_DIM
    assert g.shared.out_features == run.model.shared_dim
    out = d(x, h)
    assert out.logit.shape == (4,) and out.features.shape == (4, 2 * run.model.d_channels)
    w = d.embed.weight  # spectrally normalised W: d_features x feature_dim, no bias
    assert w.shape == (2 * run.model.d_channels, FEATURE_DIM) and d.embed.bias is None
    expected = d.psi(out.features).view(-1) + ((h @ w.T) * out.features).sum(1)
    assert torch.allclose(out.logit, expected, atol=1e-5)
    assert not torch.allclose(d(x, other).logit, out.logit)
    with pytest.raises(ValueError, match="feature size"):
        build_nets(run.model, (1, 28, 28))


def test_orthogonal_regulariser_exempts_the_feature_map():
    from ganpriors.regularisers.orthogonal import regularised_weights

    run = survey_run("icgan")
    g, _ = build_nets(run.model, (1, 28, 28), feature_dim=FEATURE_DIM)
    names = [n for n, _ in regularised_weights(g)]
    assert names and not any(n.startswith("shared.") for n in names)


# -- training and resume ---------------------------------------------------------------------------------------

def test_icgan_trains_and_resumes_bitwise():
    run = survey_run("icgan")
    data = tiny_instance_data(run)
    full = assert_resumes_bitwise(lambda checkpoint: TrainState.create(run, 0, data, build_prior(run.prior), "cpu",
                                                                       checkpoint))
    assert list(full.hooks) == ["instances", "ema"]
    label, first = full.hooks["ema"].export_generator(full.generator)  # standing stats over instance features
    assert label == "ema-standing-stats" and all(torch.equal(first[k], v) for k, v in
                                                 full.hooks["ema"].export_generator(full.generator)[1].items())


def test_icgan_through_the_training_loop_samples_around_its_instances_and_a_held_out_one(tmp_path):
    from ganpriors.artifacts import TrainedModel
    from ganpriors.data.datasets import to_uint8
    from ganpriors.io import load_tensors, save_tensors
    from ganpriors.metrics.classifier import load_classifier, pinned_path
    from ganpriors.priors.fitting import fit_prior
    from ganpriors.train import train

    short = {"steps": 3, "log_every": 1, "checkpoint_every": 2}
    run = survey_run("icgan", train={**INSTANCE_RUNS["icgan"]["train"], **short})
    images, labels = images_and_labels(64)
    train_u8, held_out = to_uint8(images), to_uint8(images_and_labels(1, seed=9)[0])
    save_tensors(tmp_path / "data.safetensors", {"train_images": train_u8, "train_labels": labels,
                                                 "test_images": train_u8.clone(), "test_labels": labels.clone()})
    prior = tmp_path / "prior.safetensors"
    fit_prior(run.prior, prior, tmp_path / "prior.json", run.model.z_dim)
    summary = train(run, 0, tmp_path / "data.safetensors", prior, tmp_path / "out", tmp_path / "ck", progress=False)
    assert summary["instances"] == {"count": 12, "k": 3, "classifier": PINNED} and "classes" not in summary
    tensors, _ = load_tensors(tmp_path / "out/generator.safetensors")
    assert {"aux.instances.bank.features", "aux.instances.bank.indices"} <= tensors.keys()

    model = TrainedModel.load(tmp_path / "out/generator.safetensors", prior)
    classifier = load_classifier(pinned_path(PINNED["name"]))
    features = normalised(classifier_features(classifier, train_u8))  # by hand: the FID's features, normalised
    assert torch.equal(model.instance_indices, choose_instances(64, 12, seed=0))
    assert torch.allclose(model.instance_features, features[model.instance_indices])
    assert model.instance_features.shape == (12, 128)

    z, info = model.latents(5, torch.Generator().manual_seed(0))
    assert set(info["instance"].tolist()) <= set(model.instance_indices.tolist())
    assert torch.allclose(info["y"], features[info["instance"]])
    assert model.sample(5, torch.Generator().manual_seed(0)).shape == (5, 1, 28, 28)

    h = classifier_features(classifier, held_out)[0]  # an image the run never saw
    around = model.sample_around(h, 4, torch.Generator().manual_seed(1))
    z, _ = model.latents(4, torch.Generator().manual_seed(1))
    assert torch.equal(around, model.generate(z, normalised(h[None]).expand(4, -1)))
    assert not torch.allclose(around, model.sample_around(model.instance_features[0], 4,
                                                          torch.Generator().manual_seed(1)))

    from ganpriors.report.figures import interpolation_strips  # each strip keeps its endpoint's feature row

    assert interpolation_strips({"icgan": model}, 2, 3, tmp_path / "strips.png", 50).is_file()


# -- bad inputs ----------------------------------------------------------------------------------------------

def _error(**run) -> str:
    with pytest.raises(GanpriorsError) as err:
        validate_params(raw_params(bad=run))
    assert "\n" not in str(err.value)
    return str(err.value)


IC = INSTANCE_RUNS["icgan"]


def test_k_larger_than_the_training_images_is_one_line():
    assert _error(**{**IC, "instances": {"k": 60000, "classifier": PINNED}}) == (
        "params.yaml: runs.bad: instances.k 60,000 is larger than the 59,999 other images of Fashion-MNIST's "
        "training split (an instance is not its own neighbour); set it to at most 59,999")
    assert "11,999 other images of Fashion-MNIST's training split under the run's view" in _error(
        **{**IC, "view": {"groups": [[0], [1]]}, "instances": {"k": 12000, "classifier": PINNED}})


def test_more_instances_than_training_images_is_one_line():
    assert _error(**{**IC, "instances": {"count": 60001, "classifier": PINNED}}) == (
        "params.yaml: runs.bad: instances.count 60,001 is larger than the 60,000 images of Fashion-MNIST's "
        "training split; set it to at most 60,000 (or null: every image)")


def test_icgan_without_images_or_instances_and_instances_without_icgan_are_one_line():
    assert _error(**{**IC, "dataset": {"kind": "gaussian_ring"}}) == (
        "params.yaml: runs.bad: dataset.kind 'gaussian_ring' has no Fashion-MNIST images, whose classifier "
        "features model.net 'icgan' (IC-GAN, instance-conditional) needs; allowed: no dataset (Fashion-MNIST, "
        "optionally under a view)")
    assert "model.net 'icgan' conditions on training instances: set instances" in _error(
        **{k: v for k, v in IC.items() if k != "instances"})
    assert _error(**{**RUNS["biggan"], "instances": {"classifier": PINNED}}).endswith(
        "instances: model.net 'biggan' is not instance-conditional; remove instances or use net icgan")


def test_conditioning_weights_other_than_the_pinned_classifier_are_one_line():
    assert "runs.bad.instances.classifier: fashion-mnist-v1 000000000000... is not classifier.pinned" in _error(
        **{**IC, "instances": {"classifier": {**PINNED, "sha256": "0" * 64}}})
    raw = raw_params(bad=IC)
    raw["classifier"]["pinned"] = None
    with pytest.raises(GanpriorsError, match="classifier.pinned is null"):
        validate_params(raw)


def test_a_shipped_file_that_is_not_the_named_weights_fails_before_training():
    from ganpriors.metrics.classifier import verified_pinned
    from ganpriors.schema import PinnedWeights

    with pytest.raises(GanpriorsError) as err:
        verified_pinned(PinnedWeights(name=PINNED["name"], sha256="0" * 64), "runs.x.instances.classifier")
    assert "is not runs.x.instances.classifier.sha256 0000" in str(err.value) and "\n" not in str(err.value)
