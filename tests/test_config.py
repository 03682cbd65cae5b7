import math
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ganpriors.config import STAGE_PARAMS, load_params, stage_params
from ganpriors.errors import GanpriorsError

from bad_params import BAD_INPUT_DOC, CASES, doc_table, message, table
from conftest import QUICK, ROOT


def edited(tmp_path: Path, text_edit=None, data_edit=None, text=None) -> Path:
    text = (ROOT / "params.yaml").read_text() if text is None else text
    if text_edit:
        old, new = text_edit
        assert old in text, old
        text = text.replace(old, new, 1)
    if data_edit:
        raw = yaml.safe_load(text)
        data_edit(raw)
        text = yaml.safe_dump(raw, sort_keys=False)
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


def test_committed_and_quick_params_are_valid():
    for path in (ROOT / "params.yaml", QUICK):
        params = load_params(path)
        assert {"nonparametric", "stylegenes", "nemgan"} <= set(params.studies)
        singh = params.studies["nonparametric"].runs
        assert singh == ["uniform", "normal", "gamma", "cauchy", "nonparametric"]
        for name in singh:  # the runs of the Singh et al. study differ only in the prior
            run = params.resolve_run(name)
            assert run.prior.kind == name
            assert run.model == params.defaults.model and run.train == params.defaults.train
        genes, mapping, normal = (params.resolve_run(r) for r in ("sg_genes", "sg_mapping", "sg_normal"))
        assert genes.model == mapping.model == normal.model and genes.train == mapping.train == normal.train
        for name in params.studies["nemgan"].runs:
            run = params.resolve_run(name)
            assert run.train.loss == "wgan-gp" and run.model.d_norm != "batch" and "mode_matching" in run.regularisers


def test_mode_collapse_studies_are_the_papers_ablation_in_both_configs():
    """The committed params.yaml and the quick configuration have the same mode-collapse runs, and the
    ablation adds exactly one regulariser set per step on one embedding discriminator."""
    full, quick = load_params(ROOT / "params.yaml"), load_params(ROOT / "configs" / "quick_mode_collapse.yaml")
    for name in ("maemgan", "mode_coverage"):
        assert full.studies[name] == quick.studies[name]
    expected = {"maem_baseline": set(), "maem_iso": {"disomap"}, "maem_iso_lle": {"disomap", "dlle"},
                "maem_iso_rb": {"disomap", "rb_maem"}, "maem_all": {"disomap", "dlle", "rb_maem"}}
    for params in (full, quick):
        base = params.resolve_run("maem_baseline")
        for name, regs in expected.items():
            run = params.resolve_run(name)
            assert set(run.regularisers) == regs and run.model == base.model and run.train == base.train
            assert run.train.loss == "wgan" and run.model.d_norm == "spectral" and run.model.d_outputs > 1
        for name in params.studies["mode_coverage"].runs:
            assert params.resolve_run(name).dataset is not None


def test_stylegenes_baseline_matches_the_gene_banks_in_size():
    from ganpriors.priors import build_prior

    params = load_params(ROOT / "params.yaml")
    sizes = {}
    for name in ("sg_genes", "sg_mapping"):
        run = params.resolve_run(name)
        prior = build_prior(run.prior)
        prior.build(run.model.z_dim)
        sizes[name] = prior.describe()["parameters"]
    assert sizes == {"sg_genes": 4096, "sg_mapping": 4063}  # "about the same parameter count"


@pytest.mark.parametrize("case", CASES, ids=[c.what for c in CASES])
def test_bad_params_give_one_line_naming_key_value_and_fix(tmp_path, case):
    """Every case of tests/bad_params.py (the table in docs/bad-input.md) as it is shown: one line,
    naming the file it came from."""
    text = case.text()
    with pytest.raises(GanpriorsError) as err:
        load_params(edited(tmp_path, text=text))
    message = str(err.value).replace(f"{tmp_path}/", "")
    assert message.startswith("params.yaml: ")
    assert case.expected_in(text) in message
    assert "\n" not in message and "more problem" not in message  # one problem in each case


def test_bad_input_doc_table_is_rendered_from_these_cases():
    assert doc_table(BAD_INPUT_DOC.read_text()) == table(), (
        "docs/bad-input.md's bad-input table differs from tests/bad_params.py's cases and their messages; "
        "regenerate it: PYTHONPATH=src python tests/bad_params.py --write")


def test_duplicate_keys_are_refused_at_any_depth_on_the_c_loader(tmp_path):
    from ganpriors.config.yaml_io import UniqueKeyLoader, load_yaml, read_yaml

    assert UniqueKeyLoader.__mro__[1] is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for text, key, lines in [("a: 1\nb: 2\na: 3\n", "a", "at lines 1 and 3"),
                             ("a:\n  - {x: 1}\n  - {x: 1, y: 2,\n     x: 3}\n", "a[1].x", "at lines 3 and 4"),
                             ("s: {k: {m: 1, m: 1}}\n", "s.k.m", "twice on line 1"),
                             ("true: 1\nyes: 2\n", "True", "at lines 1 and 2")]:  # one key to PyYAML
        with pytest.raises(GanpriorsError) as err:
            load_yaml(text, "f.yaml")
        assert str(err.value).startswith(f"f.yaml: duplicate key {key} {lines}; keep one"), text
    # Not duplicates: an alias used twice, a merge key overridden, equal keys in different mappings.
    text = "base: &b {k: 1, j: 2}\nx: *b\ny: {<<: *b, k: 3}\nz: {k: 1}\n"
    assert load_yaml(text, "f.yaml") == {"base": {"k": 1, "j": 2}, "x": {"k": 1, "j": 2}, "y": {"k": 3, "j": 2},
                                         "z": {"k": 1}}
    for path in [ROOT / "params.yaml", *sorted((ROOT / "configs").glob("*.yaml"))]:  # reads as before
        assert load_yaml(path.read_text(), path) == yaml.load(path.read_text(), Loader=yaml.SafeLoader), path
    # Two keys to PyYAML (True and 'on'), one key twice to ruamel (YAML 1.2): its error, as one line.
    (path := tmp_path / "on.yaml").write_text("a:\n  on: 1\n  'on': 2\n")
    with pytest.raises(GanpriorsError, match=r"^\S+on.yaml: line 3: ruamel \(DVC\) cannot read the file \(found "
                                             r"duplicate key \"on\" with value \"2\" \(original value: \"1\"\)\); [^\n]+$"):
        read_yaml(path)


def test_parity_check_reads_nan_as_nan_and_validation_refuses_it(tmp_path):
    from ganpriors.config import read_yaml, validate_params

    path = tmp_path / "nan.yaml"
    path.write_text("defaults: {train: {lr_g: .NaN, lr_d: -.inf}}\n")
    raw = read_yaml(path)  # PyYAML and ruamel agree: nan and nan
    assert math.isnan(raw["defaults"]["train"]["lr_g"]) and raw["defaults"]["train"]["lr_d"] == -math.inf
    with pytest.raises(GanpriorsError, match=r"^nan.yaml: defaults.train.lr_g = nan: not a finite number; "):
        validate_params(raw, source="nan.yaml")


def test_viewed_train_size_is_what_apply_view_keeps():
    import torch

    from ganpriors.data.settings import ViewSettings, viewed_train_size
    from ganpriors.data.views import apply_view

    labels = torch.arange(10).repeat_interleave(6000)[torch.randperm(60000, generator=torch.Generator().manual_seed(0))]
    images = torch.zeros(60000, 1, 1, 1, dtype=torch.uint8)
    params = load_params(ROOT / "params.yaml")
    views = {repr(v): v for v in (params.resolve_run(name).view for name in params.runs)}  # None and two views
    views = [*views.values(), ViewSettings(groups=[[0], [1, 2]], proportions=[0.3, 0.7]), ViewSettings(groups=[[0, 1]]),
             ViewSettings(groups=[[3], [4]], proportions=[0.999, 0.001]), ViewSettings(proportions=[0.05] * 8 + [0.3, 0.3])]
    assert len(views) == 7
    for view in views:
        assert viewed_train_size(view) == len(apply_view(images, labels, view).images), view


def test_benchmark_runs_draw_fresh_batches_of_any_size(tmp_path):
    path = edited(tmp_path, text_edit=("    train: {steps: 2000, batch_size: 256, lr_g: 5.0e-4, lr_d: 5.0e-4}",
                                       "    train: {steps: 2000, batch_size: 100000000, lr_g: 5.0e-4, lr_d: 5.0e-4}"))
    text = path.read_text().replace("  stacked_gan:\n    dataset: {kind: stacked}\n    model: {g_channels: 16, "
                                    "d_channels: 16}\n    train: {steps: 1000}",
                                    "  stacked_gan:\n    dataset: {kind: stacked}\n    model: {g_channels: 16, "
                                    "d_channels: 16}\n    train: {steps: 1000, batch_size: 100000}")
    path.write_text(text)
    params = load_params(path)
    assert params.resolve_run("ring_gan").train.batch_size == 100000000
    assert params.resolve_run("stacked_gan").train.batch_size == 100000


def test_train_stage_refuses_a_batch_larger_than_the_prepared_split(tmp_path):
    """Validation counts Fashion-MNIST's 6,000 images per class; a prepared file with fewer is
    caught when the train stage loads it, before the first step."""
    import torch

    from ganpriors.io import save_tensors
    from ganpriors.train.batch import load_training_data

    data = tmp_path / "small.safetensors"
    tensors = {f"{s}_images": torch.zeros(50, 1, 28, 28, dtype=torch.uint8) for s in ("train", "test")}
    save_tensors(data, {**tensors, **{f"{s}_labels": torch.arange(50) % 10 for s in ("train", "test")}})
    run = load_params(ROOT / "params.yaml").resolve_run("nemgan_p_twoclass")  # view: classes 7 and 5, 80:20
    with pytest.raises(GanpriorsError) as err:
        load_training_data(data, run, "cpu")
    assert str(err.value) == (f"{data}: run nemgan_p_twoclass: train.batch_size 64 is larger than the 6 training "
                              "images under the run's view; lower it")


def test_missing_section_and_run_override_type(tmp_path):
    with pytest.raises(GanpriorsError, match="missing key eval; add it"):
        load_params(edited(tmp_path, data_edit=lambda r: r.pop("eval")))
    with pytest.raises(GanpriorsError, match=r"runs.gamma.train.steps = -5: Input should be greater than or equal to 1"):
        load_params(edited(tmp_path, data_edit=lambda r: r["runs"]["gamma"].update(train={"steps": -5})))


def test_run_overrides_are_deep_merged(tmp_path):
    path = edited(tmp_path, data_edit=lambda r: r["runs"]["gamma"].update(train={"steps": 7}))
    params = load_params(path)
    gamma, normal = params.resolve_run("gamma"), params.resolve_run("normal")
    assert gamma.train.steps == 7 and gamma.train.lr_g == normal.train.lr_g and normal.train.steps == 2500


def test_stage_params_are_key_sorted_subtrees():
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    tracked = stage_params(raw, "train", run="cauchy", seed="0")
    assert list(tracked) == ["defaults", "runs.cauchy"]
    assert list(tracked["defaults"]["train"]) == sorted(tracked["defaults"]["train"])
    assert stage_params(raw, "prepare") == {}
    assert set(STAGE_PARAMS) == {"download", "prepare", "classifier", "fit-prior", "train", "real-features",
                                 "evaluate", "probe", "report", "summarise", "claims"}


def test_cli_rejects_bad_params_with_exit_2_before_writing(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copy(edited(tmp_path, text_edit=("    steps: 2500", "    steps: 0")), ws / "params.yaml")
    proc = subprocess.run(["ganpriors", "download", "--out-dir", "data/raw"], cwd=ws, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "defaults.train.steps = 0: Input should be greater than or equal to 1" in proc.stderr
    assert sorted(p.name for p in ws.iterdir()) == ["params.yaml"]  # nothing written


# One case of each kind that used to slip through or read badly, through a command that loads params.
NEW_KINDS = {"duplicate key: a second top-level block": ["check"], "not a number (a float setting)": ["check"],
             "misspelt key (the key it should be is then missing)": ["check"],
             "batch larger than the training split": ["train", "--run", "uniform", "--seed", "0", "--data",
                                                      "data/fm.safetensors", "--prior", "p.pt", "--out-dir", "out"]}


@pytest.mark.parametrize("case", [c for c in CASES if c.what in NEW_KINDS], ids=lambda c: c.what)
def test_cli_gives_the_same_one_line_with_exit_2_before_anything_runs(tmp_path, case):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "params.yaml").write_text(text := case.text())
    command = NEW_KINDS[case.what]
    proc = subprocess.run(["ganpriors", *command], cwd=ws, capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"ganpriors {command[0]}: error: {message(case)}\n"  # as load_params says it
    assert case.expected_in(text) in proc.stderr
    assert sorted(p.name for p in ws.iterdir()) == ["params.yaml"]  # nothing written


def test_snakemake_refuses_duplicate_keys_that_pyyaml_would_drop(tmp_path):
    """Snakemake's own reading of the configfile keeps the last block; the Snakefile's does not."""
    from conftest import make_workspace

    ws = make_workspace(tmp_path / "ws")
    text = (ws / "params.yaml").read_text() + "report:\n  dpi: 90\n"
    (ws / "params.yaml").write_text(text)
    proc = subprocess.run(["snakemake", "-n", "--cores", "1"], cwd=ws, capture_output=True, text=True)
    assert proc.returncode != 0
    first, second = (i for i, s in enumerate(text.splitlines(), 1) if s == "report:")
    assert f"ganpriors: error: params.yaml: duplicate key report at lines {first} and {second}; keep one" in (
        proc.stdout + proc.stderr)
    assert not (ws / "data").exists() and not (ws / "results").exists()


def test_snakemake_refuses_bad_params_before_running_anything(tmp_path):
    from conftest import make_workspace

    ws = make_workspace(tmp_path / "ws")
    text = (ws / "params.yaml").read_text().replace("spread: std", "spread: variance")
    (ws / "params.yaml").write_text(text)
    proc = subprocess.run(["snakemake", "-n", "--cores", "1"], cwd=ws, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "report.spread = 'variance': Input should be 'std' or 'sem'" in proc.stdout + proc.stderr
    assert not (ws / "data").exists() and not (ws / "results").exists()


def test_every_registered_prior_has_a_spec_and_vice_versa():
    from ganpriors import registry
    from ganpriors.priors.specs import SPEC_BY_KIND

    assert set(registry.PRIORS) == set(SPEC_BY_KIND)
