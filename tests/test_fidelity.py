"""The evaluation's scores against torch-fidelity's own functions: bit for bit, with the real side
shared by several fake sets, and the extraction loop against torch-fidelity's DataLoader loop."""
from __future__ import annotations

import pytest
import torch

from ganpriors.metrics.evaluate import extract, real_reference, scores
from ganpriors.metrics.fidelity import RealReference, kid, precision_recall


class Settings:
    kid_subset_size = 300
    prc_neighborhood = 3


def library_scores(fake: dict, real: dict, seed: int, subset: int) -> dict:
    from torch_fidelity.metric_fid import fid_featuresdict_to_statistics, fid_statistics_to_metric
    from torch_fidelity.metric_isc import isc_featuresdict_to_metric
    from torch_fidelity.metric_kid import kid_featuresdict_to_metric
    from torch_fidelity.metric_prc import prc_featuresdict_to_metric

    kw = dict(verbose=False, rng_seed=seed, kid_subset_size=subset, prc_neighborhood=3, save_cpu_ram=True)
    isc = isc_featuresdict_to_metric(fake, "logits", **kw)
    fid = fid_statistics_to_metric(fid_featuresdict_to_statistics(fake, "f"), fid_featuresdict_to_statistics(real, "f"),
                                   False)
    kid_ = kid_featuresdict_to_metric(fake, real, "f", **kw)
    prc = prc_featuresdict_to_metric(fake, real, "f", **kw)
    return {"is": isc["inception_score_mean"], "is_std": isc["inception_score_std"],
            "fid": fid["frechet_inception_distance"], "kid": kid_["kernel_inception_distance_mean"],
            "kid_std": kid_["kernel_inception_distance_std"], "precision": prc["precision"], "recall": prc["recall"]}


def features(n: int, shift: float, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {"f": torch.randn(n, 16, generator=g) + shift, "logits": torch.randn(n, 10, generator=g) * 3}


@pytest.mark.parametrize("n_fake,n_real", [(700, 900), (900, 700)])
def test_scores_equal_torch_fidelity_bit_for_bit_for_every_set_sharing_one_reference(n_fake, n_real):
    real = features(n_real, 0.0, 1)
    reference = real_reference(real, "f", Settings, 7, n_fake)
    for i, shift in enumerate([0.0, 0.3, 1.0]):  # three fake sets against one reference, as a run's sets
        fake = features(n_fake, shift, 10 + i)
        ours = scores(fake, reference, "logits")
        assert ours == library_scores(fake, real, 7, min(300, n_fake, n_real))
    assert reference._radii is not None and reference._kid_real is not None  # computed, then reused


def test_kid_refuses_a_fake_set_of_another_size_than_its_subsets_were_drawn_for():
    reference = RealReference(features(500, 0.0, 1), "f", 3, 200, 0)
    kid(torch.randn(400, 16), reference)
    with pytest.raises(ValueError, match="400"):
        kid(torch.randn(450, 16), reference)


def test_fid_is_zero_on_identical_features_and_the_squared_shift_for_a_mean_shift():
    real = features(2000, 0.0, 3)
    same = scores(real, real_reference(real, "f", Settings, 0, 2000), "logits")
    assert abs(same["fid"]) < 1e-6 and same["precision"] == 1.0 and same["recall"] == 1.0
    shift = torch.zeros(16)
    shift[:4] = 0.5  # |d|^2 = 4 * 0.25 = 1
    moved = {"f": real["f"] + shift, "logits": real["logits"]}
    assert scores(moved, real_reference(real, "f", Settings, 0, 2000), "logits")["fid"] == pytest.approx(1.0, abs=1e-6)


def test_precision_and_recall_count_points_inside_the_other_sets_knn_balls():
    # Real points on a line 0..9; fake points at 0..4 (inside real balls) and 100..104 (outside).
    real = torch.arange(10.0).unsqueeze(1)
    fake = torch.cat([torch.arange(5.0), torch.arange(100.0, 105.0)]).unsqueeze(1)
    precision, recall = precision_recall(fake, RealReference({"f": real}, "f", 1, 5, 0))
    assert precision == pytest.approx(0.5)  # the five fakes near the data
    # A real point is recalled when within a fake's 1-NN radius (1 in both clusters): 0..5.
    assert recall == pytest.approx(0.6)


def test_extraction_equals_torch_fidelitys_dataloader_loop():
    from torch.utils.data import Dataset
    from torch_fidelity.feature_extractor_base import FeatureExtractorBase
    from torch_fidelity.utils import get_featuresdict_from_dataset

    from ganpriors.metrics.features import Extractor

    class Tiny(FeatureExtractorBase):
        def __init__(self):
            super().__init__("tiny", ["a", "b"])
            self.conv = torch.nn.Conv2d(3, 4, 3)

        @staticmethod
        def get_provided_features_list():
            return "a", "b"

        def forward(self, x):
            y = self.conv(x.float() / 255).flatten(1)
            return y[:, :50], y[:, 50:].softmax(1)

    class Images(Dataset):
        def __init__(self, x):
            self.x = x

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return self.x[i].expand(3, -1, -1).contiguous()

    images = torch.randint(0, 256, (130, 1, 12, 12), dtype=torch.uint8)
    module = Tiny().eval()
    ours = extract(Extractor(module, "tiny", "0" * 64, "a", "b", 3), images, 32, torch.device("cpu"))
    theirs = get_featuresdict_from_dataset(Images(images), module, 32, False, True, False)
    assert set(ours) == set(theirs) == {"a", "b"}
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
