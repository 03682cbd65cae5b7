"""Shared fixtures: the repository root and quick-configuration workspaces for both tools."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "configs" / "quick.yaml"
WORKFLOW_FILES = ["Snakefile", "workflow", "configs", ".gitignore"]
DATASET_DIR = Path("/usr/share/datasets/fashion-mnist")

DATASET_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MISSING_DATASET = f"{DATASET_DIR}: Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)"

# Tests that read the real dataset. Without it they are skipped, except under CI=1 (.ci/run and the
# README's test command), where a missing dataset fails them: a CI run must not pass by skipping.
needs_dataset = pytest.mark.needs_dataset


def dataset_installed(folder: Path = DATASET_DIR) -> bool:
    """Every IDX file in `folder`, gzipped or plain (ganpriors.data.sources reads either)."""
    return all((folder / f"{name}.gz").is_file() or (folder / name).is_file() for name in DATASET_FILES)


def missing_dataset(reason: str = MISSING_DATASET) -> None:
    """Skip the test, or fail it under CI=1."""
    if os.environ.get("CI") == "1":
        pytest.fail(f"{reason} (CI=1: a missing dataset fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_dataset: reads the installed Fashion-MNIST package (skipped "
                                       "without it, failed under CI=1)")


def pytest_runtest_setup(item):
    if item.get_closest_marker("needs_dataset") is not None and not dataset_installed():
        missing_dataset()


def run(cmd: list[str], cwd: Path, check: bool = True, timeout: int = 1800,
        env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DVC_NO_ANALYTICS": "1", **(env or {})}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def make_workspace(path: Path, params: Path = QUICK, dvc: bool = False) -> Path:
    """A temporary copy of the repository's pipeline declarations with the given params file."""
    path.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, path / name)
        else:
            shutil.copy2(src, path / name)
    write_params(params, path / "params.yaml")
    write_dvc_yaml(path)
    if dvc:
        run(["git", "init", "-q"], path)
        run(["git", "config", "user.email", "test@example.com"], path)
        run(["git", "config", "user.name", "test"], path)
        run(["dvc", "init", "-q"], path)
        run(["dvc", "config", "core.analytics", "false"], path)
    return path


def write_params(source: Path, dest: Path) -> None:
    """The workspace's params.yaml: an overlay applied (`ganpriors params --overlay`), or a copy."""
    from ganpriors.config.core import read_yaml
    from ganpriors.config.overlay import dump_params

    if "overlay_of" in (yaml_text := source.read_text()):
        dest.write_text(dump_params(read_yaml(source)))
    else:
        dest.write_text(yaml_text)


def write_dvc_yaml(ws: Path) -> None:
    """dvc.yaml for the workspace's own params.yaml, as `ganpriors dvc-yaml` writes it."""
    from ganpriors.config import load_params
    from ganpriors.pipeline.dvc import dvc_yaml

    (ws / "dvc.yaml").write_text(dvc_yaml(load_params(ws / "params.yaml")))


@pytest.fixture
def one_torch_thread():
    """Tests that train in process keep torch to one thread (the machine's cores are shared) and
    restore the count afterwards: `pytestmark = pytest.mark.usefixtures("one_torch_thread")`."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def fashion_mnist(tmp_path_factory) -> Path:
    """The real prepared dataset (download from the Debian package's folder, then prepare)."""
    if not dataset_installed():
        pytest.fail(MISSING_DATASET)
    from ganpriors.config import load_params
    from ganpriors.data.datasets import prepare_from_idx
    from ganpriors.data.sources import fetch_all

    data = load_params(ROOT / "params.yaml").data
    root = tmp_path_factory.mktemp("fashion-mnist")
    fetch_all(data.files, [str(DATASET_DIR)], root / "raw", data.timeout_s)
    prepare_from_idx(root / "raw", root / "prepared.safetensors")
    return root / "prepared.safetensors"


@pytest.fixture(scope="session")
def snakemake_cache(tmp_path_factory) -> Path:
    """A between-workflow output cache folder (SNAKEMAKE_OUTPUT_CACHE) shared by the session."""
    return tmp_path_factory.mktemp("snakemake-output-cache")


@pytest.fixture(scope="session")
def snakemake_workspace(tmp_path_factory, snakemake_cache) -> Path:
    """The quick configuration run end to end with `snakemake --cores all --cache`."""
    ws = make_workspace(tmp_path_factory.mktemp("snakemake"))
    run(["snakemake", "--cores", "all", "--cache"], ws, env={"SNAKEMAKE_OUTPUT_CACHE": str(snakemake_cache)})
    return ws


# One job of each stage kind of every study, recomputed from scratch by DVC in the workspace that
# adopted Snakemake's outputs: test_dvc_and_snakemake_write_the_same_files compares their bits with
# Snakemake's (the rest of the quick DAG runs the same commands; test_parity checks that).
DVC_RECOMPUTED = ["stamp_params", "download", "prepare", "classifier", "real_features", "fit_prior@nonparametric", "fit_prior@sg_genes",
                  "train@cauchy-1", "evaluate@cauchy-1", "train@sg_genes-0", "evaluate@sg_genes-0",
                  "probe_stylegenes@sg_genes-0", "train@nemgan_p_twoclass-1", "evaluate@nemgan_p_twoclass-1",
                  "probe_nemgan@nemgan_p_twoclass-1", "report_nonparametric", "report_stylegenes", "report_nemgan",
                  "summarise_nonparametric", "summarise_stylegenes", "summarise_nemgan"]


@pytest.fixture(scope="session")
def dvc_workspace(tmp_path_factory, snakemake_workspace) -> Path:
    """The quick configuration under DVC. It adopts the Snakemake workspace's outputs (`dvc commit`,
    which needs every declared dependency and output present and consistent), then `dvc repro
    --force` recomputes DVC_RECOMPUTED: a from-scratch DVC run of the whole DAG would repeat the
    same commands for ten minutes of the suite."""
    ws = make_workspace(tmp_path_factory.mktemp("dvc"), dvc=True)
    for shared in ("data", "results", ".ganpriors/params"):
        shutil.copytree(snakemake_workspace / shared, ws / shared)
    run(["dvc", "commit", "--force", "--quiet", "--with-deps", *dvc_study_stages(ws)], ws)
    proc = run(["dvc", "repro", "--force", "--single-item", *DVC_RECOMPUTED], ws)
    ran = re.findall(r"Running stage '([^']+)'", proc.stdout + proc.stderr)
    assert sorted(ran) == sorted(DVC_RECOMPUTED), ran
    return ws


def workspace_beside_quick(dest: Path, config: Path, quick_ws: Path, targets: list[str]) -> Path:
    """A workspace of another quick configuration (`config`: its data, classifier and eval sections
    are configs/quick.yaml's, checked here) run with `snakemake --cores all targets`, reusing the main
    quick workspace's prepared data, classifier and real features with their params stamps, so that
    only its own studies' jobs run."""
    from ganpriors.config import load_params

    assert all(getattr(load_params(config), k) == getattr(load_params(QUICK), k) for k in ("data", "classifier", "eval"))
    ws = make_workspace(dest, config, dvc=True)
    for shared in ("data", "results/classifier", "results/eval", ".ganpriors/params"):
        shutil.copytree(quick_ws / shared, ws / shared)
    run(["snakemake", "--cores", "all", *targets], ws)
    return ws


def clone_workspace(ws: Path, dest: Path) -> Path:
    """A copy of a finished workspace (files with their times, each tool's metadata, a git
    repository) for a test that edits it: the session's workspaces stay as the quick run left them."""
    shutil.copytree(ws, dest, symlinks=True)
    return dest


def dvc_study_stages(ws: Path) -> list[str]:
    """The last DVC stages of each of a workspace's studies, its report and its summary (a
    workspace's dvc.yaml is generated from its own params.yaml, so these end every path of its DAG)."""
    from ganpriors.config import load_params

    return [f"{stage}_{name}" for name in load_params(ws / "params.yaml").studies for stage in ("report", "summarise")]
