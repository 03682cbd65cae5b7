"""The pinned evaluation classifier: shipped with the package, verified by SHA-256 before the
classifier stage hands it on, and named in every score's label; retraining is an explicit choice."""
from __future__ import annotations

import pytest
import torch

from ganpriors.config import load_params
from ganpriors.config.core import PinnedWeights
from ganpriors.errors import GanpriorsError
from ganpriors.io import load_tensors, save_tensors, sha256_file
from ganpriors.metrics.classifier import pinned_path, provide_classifier

from conftest import ROOT

SETTINGS = load_params(ROOT / "params.yaml").classifier


def test_the_committed_params_pin_the_shipped_file():
    assert SETTINGS.pinned is not None
    assert sha256_file(pinned_path(SETTINGS.pinned.name)) == SETTINGS.pinned.sha256


def test_pinned_weights_are_verified_checked_and_passed_on_unchanged(tmp_path, fashion_mnist):
    result = provide_classifier(SETTINGS, fashion_mnist, tmp_path / "c.safetensors", tmp_path / "m.json")
    assert (tmp_path / "c.safetensors").read_bytes() == pinned_path(SETTINGS.pinned.name).read_bytes()
    assert result["source"] == "pinned" and result["sha256"] == SETTINGS.pinned.sha256
    assert result["test_accuracy"] == pytest.approx(0.9167, abs=1e-4)  # as when it was trained
    assert "seconds" not in result  # no wall-clock time in a hashed output


def test_a_pinned_hash_that_does_not_match_is_one_line_and_writes_nothing(tmp_path, fashion_mnist):
    wrong = SETTINGS.model_copy(update={"pinned": PinnedWeights(name=SETTINGS.pinned.name, sha256="0" * 64)})
    with pytest.raises(GanpriorsError) as err:
        provide_classifier(wrong, fashion_mnist, tmp_path / "c.safetensors", tmp_path / "m.json")
    assert f"is not classifier.pinned.sha256 {'0' * 64}" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "c.safetensors").exists() and not (tmp_path / "m.json").exists()


def test_retraining_is_explicit_and_records_the_new_hash(tmp_path):
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (512, 1, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (512,), generator=g)
    save_tensors(tmp_path / "data.safetensors", {"train_images": images, "train_labels": labels,
                                                 "test_images": images.clone(), "test_labels": labels.clone()})
    settings = SETTINGS.model_copy(update={"pinned": None, "epochs": 1, "width": 4, "min_test_accuracy": 0.0})
    result = provide_classifier(settings, tmp_path / "data.safetensors", tmp_path / "c.safetensors", tmp_path / "m.json")
    assert result["source"] == "retrained" and result["sha256"] == sha256_file(tmp_path / "c.safetensors")
    assert load_tensors(tmp_path / "c.safetensors")[1]["name"] == "retrained"


def test_scores_are_labelled_with_the_weights_that_produced_them(tmp_path):
    from ganpriors.metrics.features import ClassifierFeatures

    extractor = ClassifierFeatures.build(None, pinned_path(SETTINGS.pinned.name), torch.device("cpu"))
    assert extractor.label.startswith(f"ganpriors-classifier {SETTINGS.pinned.sha256[:12]} ")
    assert "pinned fashion-mnist-v1" in extractor.label and extractor.weights_sha256 == SETTINGS.pinned.sha256
