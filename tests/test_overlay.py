"""Overlays (configs/quick*.yaml): JSON merge patches of params.yaml, applied to a file both tools read."""
from __future__ import annotations

import pytest
import yaml

from ganpriors.config import load_params, validate_params
from ganpriors.config.core import read_yaml
from ganpriors.config.errors import yaml_parity
from ganpriors.config.overlay import apply_overlay, dump_params, merge_patch
from ganpriors.errors import GanpriorsError

from conftest import QUICK, ROOT


def test_merge_patch_merges_maps_deletes_nulls_and_replaces_the_rest():
    base = {"a": {"x": 1, "y": [1, 2], "z": {"k": 1}}, "b": 2}
    assert merge_patch(base, {"a": {"x": None, "y": [3], "z": {"j": 2}}, "c": 3}) == {
        "a": {"y": [3], "z": {"k": 1, "j": 2}}, "b": 2, "c": 3}
    assert base == {"a": {"x": 1, "y": [1, 2], "z": {"k": 1}}, "b": 2}  # not modified


def test_a_patch_of_an_anchored_block_changes_only_the_patched_run(tmp_path):
    (tmp_path / "base.yaml").write_text("runs:\n  a: {train: &t {steps: 5}}\n  b: {train: *t}\n")
    (tmp_path / "over.yaml").write_text("overlay_of: base.yaml\nruns:\n  a: {train: {steps: 1}}\n")
    assert apply_overlay(tmp_path / "over.yaml") == {"runs": {"a": {"train": {"steps": 1}}, "b": {"train": {"steps": 5}}}}


def test_quick_configuration_is_params_yaml_with_its_changes():
    quick, full = load_params(QUICK), load_params(ROOT / "params.yaml")
    assert set(quick.runs) < set(full.runs) and quick.seeds == [0, 1]
    assert quick.data == full.data  # untouched sections are the committed ones
    assert quick.resolve_run("cauchy").prior == full.resolve_run("cauchy").prior
    assert quick.resolve_run("sg_genes").model.g_channels == 8  # the override deleted: the default applies


def test_the_written_file_reads_the_same_in_both_loaders(tmp_path):
    tree = read_yaml(QUICK)
    path = tmp_path / "params.yaml"
    path.write_text(dump_params(tree))
    yaml_parity(path, yaml.safe_load(path.read_text()))
    assert yaml.safe_load(path.read_text()) == tree
    validate_params(tree)


def test_an_overlay_of_a_missing_file_is_one_line(tmp_path):
    (tmp_path / "over.yaml").write_text("overlay_of: nowhere.yaml\nseeds: [0]\n")
    with pytest.raises(GanpriorsError, match="overlay_of names .*nowhere.yaml, which does not exist"):
        read_yaml(tmp_path / "over.yaml")
