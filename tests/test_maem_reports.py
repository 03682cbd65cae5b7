"""Reports of the MaEM-GAN ablation and mode-coverage studies, from synthetic metrics and tiny models."""
from __future__ import annotations

from ganpriors.config.core import read_yaml

import copy
import math
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganpriors.config import ModelSettings, validate_params
from ganpriors.io import save_tensors, write_json
from ganpriors.report import ReportDirs
from ganpriors.studies import report_outputs

from conftest import QUICK

torch.set_num_threads(1)

NORMAL = {"kind": "normal", "loc": 0.0, "scale": 1.0}
MAEM_RUNS = {
    "maem_baseline": {"model": {"d_norm": "spectral", "d_outputs": 8}, "prior": NORMAL},
    "maem_all": {"model": {"d_norm": "spectral", "d_outputs": 8}, "prior": NORMAL,
                 "regularisers": {"disomap": {}, "dlle": {}, "rb_maem": {}}},
    "maem_dead": {"model": {"d_norm": "spectral", "d_outputs": 8}, "prior": NORMAL},
}
RING = {"kind": "gaussian_ring", "modes": 8, "radius": 2.0, "std": 0.02}
GRID = {"kind": "gaussian_grid", "side": 3, "spacing": 2.0, "std": 0.05}
STACKED = {"kind": "stacked", "channels": 3}
MODE_DATASETS = {"mc_ring": RING, "mc_grid": GRID, "mc_stacked": STACKED}


def _raw() -> dict:
    return read_yaml(QUICK)


def _maem_params():
    raw = _raw()
    raw["runs"].update(copy.deepcopy(MAEM_RUNS))
    raw["studies"]["maem"] = {"kind": "maemgan", "runs": list(MAEM_RUNS),
                              "paper_rows": {"maem_baseline": "baseline", "maem_all": "all"}}
    return validate_params(raw)


def _mode_params():
    """Mode-coverage runs with their `dataset:` specs (a mode_coverage study accepts only those)."""
    raw = _raw()
    runs = {run: {"dataset": spec, "model": {"net": "mlp", "z_dim": 2, "d_norm": "none"}, "prior": NORMAL}
            for run, spec in MODE_DATASETS.items()}
    runs["mc_stacked"]["model"] = {}
    raw["runs"].update(runs)
    raw["studies"].update({"modes": {"kind": "mode_coverage", "runs": list(MODE_DATASETS)},
                           "stacked_only": {"kind": "mode_coverage", "runs": ["mc_stacked"]}})
    return validate_params(raw)


def _dirs(root: Path, study: str) -> ReportDirs:
    return ReportDirs(root / "results" / "tables" / study, root / "results" / "figures" / study,
                      runs=root / "results" / "runs", priors=root / "results" / "priors")


def _check_outputs(root: Path, study_name: str, study, written: list[Path]) -> None:
    expected = report_outputs(study_name, study)
    for rel in expected:
        assert (root / rel).is_file(), rel
    assert sorted(str(Path(p).resolve().relative_to(root.resolve())) for p in written) == sorted(expected)


def _assert_png(path: Path, min_bytes: int = 3000) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > min_bytes, (path, len(data))


# ---------------------------------------------------------------------------------------------
# MaEM-GAN


def _image_scores(fid: float, ivar: float) -> dict:
    return {"prior": {"is": 3.0, "is_std": 0.1, "fid": fid, "kid": fid / 100, "kid_std": 0.001,
                      "precision": 0.6, "recall": 0.4, "i_variance": ivar}}


def _write_image_run(root: Path, params, run: str, seed: int, status: str, fid=None, ivar=None) -> None:
    folder = root / "results" / "runs" / run / f"seed{seed}"
    write_json(folder / "metrics.json", {
        "run": run, "seed": seed, "status": status,
        "protocol": {"feature_extractor": "ganpriors-classifier (test)", "n_fake": 200},
        "scores": _image_scores(fid, ivar) if status == "completed" else None,
        "reference": {"i_variance": 0.30 + 0.02 * seed},
    })
    if status != "completed":
        return
    from ganpriors.nets import build_nets

    settings = ModelSettings(net="dcgan", z_dim=4, g_channels=2, d_channels=2)
    torch.manual_seed(seed)
    generator, _ = build_nets(settings)
    spec = params.resolve_run(run).prior
    save_tensors(folder / "generator.safetensors", generator.state_dict(),
                 {"run": run, "seed": seed, "model": settings.model_dump(exclude_defaults=True),
                  "prior": spec.model_dump(), "steps": 10, "status": status})


def test_maemgan_report(tmp_path):
    from ganpriors.priors.fitting import fit_prior
    from ganpriors.report.maemgan import build_maemgan_report

    params = _maem_params()
    study = params.studies["maem"]
    for run in MAEM_RUNS:
        folder = tmp_path / "results" / "priors" / run
        fit_prior(params.resolve_run(run).prior, folder / "prior.safetensors", folder / "prior.json", 4)
    _write_image_run(tmp_path, params, "maem_baseline", 0, "completed", fid=10.0, ivar=0.20)
    _write_image_run(tmp_path, params, "maem_baseline", 1, "completed", fid=14.0, ivar=0.24)
    _write_image_run(tmp_path, params, "maem_all", 0, "diverged")
    _write_image_run(tmp_path, params, "maem_all", 1, "completed", fid=20.0, ivar=0.25)
    _write_image_run(tmp_path, params, "maem_dead", 0, "diverged")
    _write_image_run(tmp_path, params, "maem_dead", 1, "diverged")

    dirs = _dirs(tmp_path, "maem")
    written = build_maemgan_report(params, "maem", study, dirs)
    _check_outputs(tmp_path, "maem", study, written)

    table = pd.read_csv(dirs.tables / "maemgan.csv").set_index("run")
    assert list(table.index) == list(MAEM_RUNS)
    base, allreg, dead = table.loc["maem_baseline"], table.loc["maem_all"], table.loc["maem_dead"]
    assert base["seeds"] == 2 and base["diverged"] == 0
    assert base["FID mean"] == pytest.approx(12.0) and base["FID std"] == pytest.approx(math.sqrt(8.0), rel=1e-5)
    assert base["I-Variance mean"] == pytest.approx(0.22) and base["I-Variance std"] == pytest.approx(math.sqrt(2) * 0.02, rel=1e-5)
    assert base["KID mean"] == pytest.approx(0.12)
    assert base["real I-Variance"] == pytest.approx(0.31)
    # The diverged seed is counted and left out of the mean.
    assert allreg["seeds"] == 1 and allreg["diverged"] == 1
    assert allreg["FID mean"] == pytest.approx(20.0) and math.isnan(allreg["FID std"])
    assert dead["seeds"] == 0 and dead["diverged"] == 2 and math.isnan(dead["FID mean"])
    assert allreg["paper CIFAR-10 FID"] == pytest.approx(29.22)
    assert allreg["paper CIFAR-10 I-Variance"] == pytest.approx(4.88e-3)
    assert math.isnan(base["paper CIFAR-10 FID"]) and base["paper CIFAR-10 FID note"] == "> 100"
    assert math.isnan(dead["paper CIFAR-10 FID"])

    md = (dirs.tables / "maemgan.md").read_text()
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[1:-1]]
            for line in md.splitlines() if line.startswith("| maem_")}
    assert "12.000 ± 2.828" in rows["maem_baseline"] and "> 100" in rows["maem_baseline"]
    assert "29.22" in rows["maem_all"] and "20.000" in rows["maem_all"] and "1 (1)" in rows["maem_all"]
    assert "diverged" in rows["maem_dead"] and "0 (2)" in rows["maem_dead"]
    assert "Fashion-MNIST" in md and "CIFAR-10" in md and "ganpriors-classifier (test)" in md and "[0, 1]" in md
    assert r"$\pm$" in (dirs.tables / "maemgan.tex").read_text()

    long = pd.read_csv(dirs.tables / "all_scores.csv")
    fids = long[(long.run == "maem_baseline") & (long.set == "prior") & (long.metric == "fid")]
    assert sorted(fids.value) == [10.0, 14.0]
    assert len(long[(long.run == "maem_all") & (long.seed == 0) & (long.set == "prior")]) == 0
    assert len(long[(long.set == "reference") & (long.metric == "i_variance")]) == 6
    for name in ("samples", "fid_ablation"):
        _assert_png(dirs.figures / f"{name}.png")


# ---------------------------------------------------------------------------------------------
# Mode coverage


def _histogram(n_modes: int, covered: int, per_mode: int) -> list[int]:
    return [per_mode if k < covered else 0 for k in range(n_modes)]


def _two_d_scores(n_modes: int, covered: int, share: float, kl) -> dict:
    return {"prior": {"n": 2500, "n_modes": n_modes, "modes_covered": covered, "kl_to_uniform": kl,
                      "histogram": _histogram(n_modes, covered, 100), "high_quality_share": share}}


def _stacked_scores(covered: int, real_covered: int) -> dict:
    def one(c):
        return {"n": 26000, "n_modes": 1000, "modes_covered": c, "kl_to_uniform": 0.1 + (1000 - c) / 1000,
                "histogram": [(k % 7) + 20 if k < c else 0 for k in range(1000)]}
    return {"prior": one(covered), "real": one(real_covered)}


def _write_mode_run(root: Path, run: str, seed: int, status: str, scores, trace: bool = False) -> None:
    folder = root / "results" / "runs" / run / f"seed{seed}"
    spec = MODE_DATASETS[run]
    write_json(folder / "metrics.json", {
        "run": run, "seed": seed, "status": status,
        "protocol": {"dataset": spec["kind"], "n_fake": 26000 if spec["kind"] == "stacked" else 2500,
                     "feature_extractor": "ganpriors-classifier (test)"},
        "scores": scores if status == "completed" else None,
    })
    write_json(folder / "train.json", {"run": run, "seed": seed, "status": status, "dataset": spec})
    tensors = {"net.weight": torch.zeros(2, 2)}
    if trace:
        g = torch.Generator().manual_seed(seed)
        for step in (0, 50, 100):
            tensors[f"trace.step{step:06d}"] = torch.randn(300, 2, generator=g) * (0.1 + step / 50)
    save_tensors(folder / "generator.safetensors", tensors, {"run": run, "seed": seed, "model": {"net": "mlp"}})


def test_mode_coverage_report(tmp_path):
    from ganpriors.report.mode_coverage import REAL_ROW, build_mode_coverage_report

    params = _mode_params()
    _write_mode_run(tmp_path, "mc_ring", 0, "completed", _two_d_scores(8, 8, 0.9, 0.01), trace=True)
    _write_mode_run(tmp_path, "mc_ring", 1, "completed", _two_d_scores(8, 6, 0.7, 0.29), trace=True)
    _write_mode_run(tmp_path, "mc_grid", 0, "completed", _two_d_scores(9, 5, 0.5, 0.6))  # no snapshots saved
    _write_mode_run(tmp_path, "mc_grid", 1, "diverged", None)
    _write_mode_run(tmp_path, "mc_stacked", 0, "completed", _stacked_scores(900, 990))
    _write_mode_run(tmp_path, "mc_stacked", 1, "completed", _stacked_scores(940, 990))

    study = params.studies["modes"]
    dirs = _dirs(tmp_path, "modes")
    written = build_mode_coverage_report(params, "modes", study, dirs)
    _check_outputs(tmp_path, "modes", study, written)

    table = pd.read_csv(dirs.tables / "mode_coverage.csv")
    assert list(table.run) == ["mc_ring", "mc_grid", "mc_stacked", REAL_ROW]
    t = table.set_index("run")
    ring, grid, stacked, real = t.loc["mc_ring"], t.loc["mc_grid"], t.loc["mc_stacked"], t.loc[REAL_ROW]
    assert ring["dataset"] == "gaussian_ring" and ring["n_modes"] == 8 and ring["seeds"] == 2
    assert ring["modes covered mean"] == pytest.approx(7.0) and ring["modes covered std"] == pytest.approx(math.sqrt(2), rel=1e-5)
    assert ring["high-quality share mean"] == pytest.approx(0.8)
    assert ring["KL to uniform mean"] == pytest.approx(0.15)
    assert grid["seeds"] == 1 and grid["diverged"] == 1 and grid["modes covered mean"] == pytest.approx(5.0)
    assert stacked["n_modes"] == 1000 and stacked["modes covered mean"] == pytest.approx(920.0)
    assert math.isnan(stacked["high-quality share mean"])
    assert real["dataset"] == "stacked" and bool(real["reference"])
    assert real["modes covered mean"] == pytest.approx(990.0) and real["modes covered std"] == pytest.approx(0.0)

    md = (dirs.tables / "mode_coverage.md").read_text()
    assert REAL_ROW in md and "7.0 ± 1.4" in md and "920.0 ± 28.3" in md
    long = pd.read_csv(dirs.tables / "all_scores.csv")
    assert set(long.set) == {"prior", "real"} and "histogram" not in set(long.metric)
    assert len(long[(long.run == "mc_grid") & (long.seed == 1)]) == 0
    _assert_png(dirs.figures / "training_scatter.png", 8000)
    _assert_png(dirs.figures / "mode_histograms.png", 8000)

    # A study without a 2-D run: the scatter figure is a placeholder, the rest as usual.
    study = params.studies["stacked_only"]
    dirs = _dirs(tmp_path, "stacked_only")
    written = build_mode_coverage_report(params, "stacked_only", study, dirs)
    _check_outputs(tmp_path, "stacked_only", study, written)
    assert list(pd.read_csv(dirs.tables / "mode_coverage.csv").run) == ["mc_stacked", REAL_ROW]
    _assert_png(dirs.figures / "training_scatter.png", 500)


def test_mode_coverage_figures_direct(tmp_path):
    """The figure functions on their own: a row without a trace, a panel without a seed."""
    import numpy as np

    from ganpriors.report.mode_coverage_figures import HistogramPanel, TraceRow, mode_histograms, training_scatter

    rows = [TraceRow("a", "ring", 0, {s: torch.randn(50, 2) for s in range(0, 1200, 100)},
                     centers=np.array([[1.0, 0.0], [-1.0, 0.0]])),
            TraceRow("b", "ring", None, note="every seed diverged")]
    _assert_png(training_scatter(rows, tmp_path / "s.png", 50), 2000)
    panels = [HistogramPanel("a", "ring", 0, [3, 0, 5]), HistogramPanel("b", "ring", None, note="every seed diverged"),
              HistogramPanel("c", "stacked", 0, [0] * 1000, two_d=False)]
    _assert_png(mode_histograms(panels, tmp_path / "h.png", 50), 2000)
