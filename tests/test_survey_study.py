"""The survey study's own pieces: AC-GAN's classifier terms by hand, BigGAN without hierarchical z,
the study's settings and their one-line errors, and the survey probe's measurements (parameter
counts, intra-FID, the truncation sampler, held-out instances) on generators whose answer is known."""
from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from ganpriors.config import validate_params
from ganpriors.errors import GanpriorsError
from ganpriors.nets.heads import DOut
from ganpriors.priors import build_prior
from ganpriors.train.batch import TrainingData
from ganpriors.train.state import TrainState

from conftest import ROOT, needs_dataset
from survey_runs import images_and_labels, survey_run

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # (conftest)


def one_line(call) -> str:
    with pytest.raises(GanpriorsError) as err:
        call()
    assert "\n" not in str(err.value)
    return str(err.value)


def state_of(run) -> TrainState:
    return TrainState.create(run, 0, TrainingData(*images_and_labels(), n_groups=10), build_prior(run.prior), "cpu")


# -- AC-GAN's classifier ------------------------------------------------------------------------------------

def test_ac_terms_by_hand_and_head_trains_with_d():
    run = survey_run("ac", regularisers={"ac": {"d_weight": 0.5, "g_weight": 2.0}})
    state = state_of(run)
    hook = state.hooks["ac"]
    head = {id(p) for p in hook.head.parameters()}
    assert head <= {id(p) for g in state.opt_d.param_groups for p in g["params"]}
    assert not head & {id(p) for g in state.opt_g.param_groups for p in g["params"]}
    hook.head.eval()
    w, b = hook.head.weight.detach(), hook.head.bias.detach()
    assert w.shape == (10, 16)  # K logits (not ADC-GAN's 2K) on D's 2 * d_channels features
    torch.manual_seed(0)
    f_real, f_fake = torch.randn(4, 16), torch.randn(4, 16)
    y, y_fake = torch.tensor([1, 0, 9, 3]), torch.tensor([2, 2, 5, 0])
    ctx = SimpleNamespace(d_real=DOut(logit=None, features=f_real), d_fake=DOut(logit=None, features=f_fake),
                          d_fake_for_g=DOut(logit=None, features=f_fake), y=y, y_fake=y_fake)

    def nll(f, index):
        logp = torch.log_softmax(f @ w.T + b, dim=1)
        return -logp[torch.arange(len(index)), index].mean()

    assert torch.allclose(hook.discriminator_term(ctx), 0.5 * (nll(f_real, y) + nll(f_fake, y_fake)), atol=1e-6)
    assert torch.allclose(hook.generator_term(ctx), 2.0 * nll(f_fake, y_fake), atol=1e-6)


# -- BigGAN without hierarchical z ---------------------------------------------------------------------------

def test_flat_biggan_feeds_all_of_z_to_the_first_layer_and_the_embedding_alone_to_the_blocks():
    hier, flat = state_of(survey_run("biggan")).generator, state_of(survey_run("biggan_flat")).generator
    z_dim, shared = 16, 32
    assert hier.linear.in_features == z_dim // 4 and flat.linear.in_features == z_dim
    assert hier.blocks[0].bn1.gain.in_features == shared + z_dim // 4
    assert flat.blocks[0].bn1.gain.in_features == shared
    y = torch.tensor([3, 3])
    first, per_block = flat.conditioning(torch.randn(2, z_dim), y)
    assert first.shape == (2, z_dim) and all(torch.equal(c, flat.shared(y)) for c in per_block)


@pytest.mark.parametrize("name", ["sagan", "wgan_gp", "unet"])
def test_hierarchical_off_on_a_net_without_hierarchical_z_is_one_line(name):
    model = {**(survey_run(name).model.model_dump(exclude_defaults=True)), "hierarchical": False}
    text = one_line(lambda: survey_run(name, model=model))
    assert "model.hierarchical false" in text and "(biggan, icgan)" in text


# -- the study's settings ------------------------------------------------------------------------------------

def survey_params(**study):
    from ganpriors.config.core import read_yaml

    raw = read_yaml(ROOT / "params.yaml")
    base = copy.deepcopy(raw["studies"]["survey"])
    for key, value in study.items():
        base[key] = value
    raw["studies"] = {"survey": base}
    raw.pop("claims")  # (the claims read the other studies)
    return raw


def test_the_committed_survey_study_validates_and_names_every_system():
    params = validate_params(survey_params())
    study = params.studies["survey"]
    assert len(study.systems) == 9 and set(study.systems) <= set(study.runs)
    assert study.outputs("survey")[0] == "results/tables/survey/survey.csv"
    assert all(len(runs) >= 2 for runs in study.ablations.values())


@pytest.mark.parametrize("edit, message", [
    ({"ablations": {"LOGAN": ["sv_logan", "sv_nope"]}}, "ablations.LOGAN: 'sv_nope' is not one of the study's runs"),
    ({"ablations": {"LOGAN": ["sv_logan"]}}, "ablations.LOGAN compares runs: list at least two"),
    ({"probe": {"truncation": {"runs": ["sv_biggan"], "thresholds": [0.0]}}}, "truncation.thresholds: 0.0 is not > 0"),
    ({"probe": {"truncation": {"runs": ["sv_logan"]}}}, "run sv_logan has a uniform prior"),
    ({"latent_priors": {"DCGAN": {"normal": "sv_dcgan"}}}, "run sv_dcgan has interpolations false"),
    ({"references": {"sv_dcgan": "stylegan"}}, "references"),
])
def test_bad_survey_settings_are_one_line(edit, message):
    assert message in one_line(lambda: validate_params(survey_params(**edit)))


# -- the probe ----------------------------------------------------------------------------------------------

class LookupGenerator(nn.Module):
    """G(z, y) = a real image of class y (or of class `only`, ignoring y) picked by z: what a perfect
    (or a label-blind) conditional generator would output. Records every z it is given."""

    def __init__(self, images, labels, only=None):
        super().__init__()
        self.images, self.labels, self.only, self.seen = images, labels, only, []
        self.weight = nn.Parameter(torch.zeros(3))

    def forward(self, z, y=None):
        self.seen.append(z.clone())
        pick = (z[:, 0].abs() * 1e4).long()
        out = []
        for i, k in enumerate(y.tolist() if y is not None else [None] * len(z)):
            pool = self.images[self.labels == (self.only if self.only is not None or k is None else k)] \
                if (self.only is not None or k is not None) else self.images
            out.append(pool[pick[i] % len(pool)])
        return torch.stack(out).float().div(127.5).sub(1)


def probe_context(images, labels, generator, settings, classes=10, run_name="sv_sagan"):
    from ganpriors.config import load_params
    from ganpriors.data.views import ViewedSplit
    from ganpriors.metrics.classifier import load_classifier, verified_pinned
    from ganpriors.probes.base import ProbeContext

    params = load_params(ROOT / "params.yaml")
    classifier_path, _ = verified_pinned(params.classifier.pinned)
    run = params.resolve_run(run_name)
    return ProbeContext(
        run=run, generator=generator, prior=build_prior(run.prior), aux={},
        classifier=load_classifier(classifier_path).eval(),
        test=ViewedSplit(images, labels, labels, 10), group_of_class=torch.arange(10), true_prior=[0.1] * 10,
        train_log=None, settings=settings, z_dim=8, seed=0, device=torch.device("cpu"),
        meta={"model": {"z_dim": 8}, "classes": classes}, eval_settings=params.eval.model_copy(update={"batch_size": 100}),
        classifier_path=classifier_path)


@needs_dataset
def test_intra_fid_is_low_for_a_generator_that_follows_its_labels_and_high_for_one_that_ignores_them(fashion_mnist):
    from ganpriors.data.datasets import load_split
    from ganpriors.metrics.evaluate import build_extractor
    from ganpriors.probes.survey import intra_fid
    from ganpriors.studies.survey import SurveyProbeSettings

    test = load_split(fashion_mnist, "test")
    images, labels = test.images[:3000], test.labels[:3000]
    settings = SurveyProbeSettings(intra_fid_per_class=150)
    scores = {}
    for name, only in (("follows", None), ("ignores", 0)):
        ctx = probe_context(images, labels, LookupGenerator(images, labels, only), settings)
        extractor = build_extractor(ctx.eval_settings, ctx.classifier_path, ctx.device)
        from ganpriors.metrics.evaluate import extract
        real = extract(extractor, images, 100, ctx.device)[extractor.fid_layer]
        scores[name] = intra_fid(ctx, extractor, real, labels)
    follows, ignores = scores["follows"], scores["ignores"]
    assert len(follows["per_class"]) == 10
    # Class 0 is what the label-blind generator draws: there it is as good as the faithful one.
    assert abs(ignores["per_class"][0] - follows["per_class"][0]) < 0.5 * follows["per_class"][0] + 1
    assert min(ignores["per_class"][1:]) > 3 * max(follows["per_class"][1:])
    assert ignores["mean"] > 3 * follows["mean"]


def test_probe_truncation_draws_within_each_threshold_and_counts_parameters():
    from ganpriors.probes.survey import probe_survey
    from ganpriors.studies.survey import SurveyProbeSettings

    images = ((images_and_labels(200)[0] + 1) * 127.5).round().to(torch.uint8)
    labels = torch.arange(200) % 10
    g = LookupGenerator(images, labels)
    settings = SurveyProbeSettings(intra_fid_per_class=20, samples=4,
                                   truncation={"runs": ["sv_biggan"], "thresholds": [0.3, 1.5], "n": 100})
    ctx = probe_context(images, labels, g, settings, run_name="sv_biggan")
    result = probe_survey(ctx)
    numbers = result.numbers
    assert numbers["conditioning"] == "class" and numbers["parameters"]["g"] == 3
    from ganpriors.nets import build_nets
    _, d = build_nets(ctx.run.model, (1, 28, 28), 10)
    assert numbers["parameters"]["d"] == sum(p.numel() for p in d.parameters())
    assert set(numbers["truncation"]) == {"0.3", "1.5"} and len(numbers["intra_fid"]["per_class"]) == 10
    # The last two calls are the truncation curve's (one batch of 100 per threshold, in order).
    truncated = g.seen[-1], g.seen[-2]
    assert len(truncated[0]) == len(truncated[1]) == 100
    assert truncated[0].abs().max() <= 1.5 and truncated[1].abs().max() <= 0.3
    assert truncated[0].abs().max() > 1.0  # resampled, not squeezed: the wider threshold is used
    assert result.grids["samples"].images.shape == (4, 1, 28, 28)
