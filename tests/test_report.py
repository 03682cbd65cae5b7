"""Report tables from metrics files, including runs that diverged."""
import json

import pandas as pd

from ganpriors.report import tables
from ganpriors.report.common import write_table
from ganpriors.report.results import read_runs


def write_metrics(root, run, seed, status, fid_prior=None, fid_mid=None):
    scores = None if status != "completed" else {
        "prior": {"fid": fid_prior, "is": 2.0, "kid": 0.1, "precision": 0.5, "recall": 0.4},
        "lambda_0.5": {"fid": fid_mid, "is": 1.5, "kid": 0.2, "precision": 0.4, "recall": 0.3},
    }
    path = root / run / f"seed{seed}" / "metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"status": status, "scores": scores, "train": {"diverged_at_step": 7 if scores is None else None},
                                "protocol": {"feature_extractor": "ganpriors-classifier"}}))


def test_summary_reports_mean_std_and_divergence(tmp_path):
    write_metrics(tmp_path, "normal", 0, "completed", 10.0, 20.0)
    write_metrics(tmp_path, "normal", 1, "completed", 14.0, 30.0)
    write_metrics(tmp_path, "cauchy", 0, "diverged")
    write_metrics(tmp_path, "cauchy", 1, "completed", 50.0, 51.0)
    write_metrics(tmp_path, "uniform", 0, "diverged")
    write_metrics(tmp_path, "uniform", 1, "diverged")
    runs = ["normal", "cauchy", "uniform"]
    summary = tables.summary_table(read_runs(tmp_path, runs, [0, 1]), "std").set_index("prior")
    assert summary.loc["normal", "FID prior mean"] == 12.0
    assert abs(summary.loc["normal", "FID mid-point std"] - 7.0710678) < 1e-6
    assert summary.loc["normal", "paper CelebA FID prior"] == 26.173
    assert summary.loc["cauchy", "seeds"] == 1 and summary.loc["cauchy", "diverged"] == 1
    display = tables.display_table(summary.reset_index(), "std", 2).set_index("prior")
    assert display.loc["normal", "FID prior"] == "12.00 ± 2.83"
    assert display.loc["cauchy", "FID prior"] == "50.00"  # one seed: no spread
    assert display.loc["uniform", "FID prior"] == "diverged"
    assert display.loc["uniform", "seeds (diverged)"] == "0 (2)"
    paths = write_table(summary.reset_index(), display.reset_index(), tmp_path / "t" / "table", "caption")
    assert pd.read_csv(paths[0]).shape[0] == 3
    assert "diverged" in paths[1].read_text() and r"$\pm$" in paths[2].read_text()


def test_evaluate_records_a_diverged_run_without_failing(tmp_path):
    import torch

    from ganpriors.config import load_params
    from ganpriors.io import save_tensors
    from ganpriors.metrics.evaluate import evaluate_run

    from conftest import QUICK

    (tmp_path / "train.json").write_text(json.dumps({"run": "cauchy", "status": "diverged", "steps": 20,
                                                     "diverged_at_step": 20}))
    save_tensors(tmp_path / "real.safetensors", {"features": torch.zeros(10, 4)},
                 {"feature_extractor": "ganpriors-classifier", "weights_sha256": "0" * 64, "split": "test", "n": 10})
    params = load_params(QUICK)
    out = evaluate_run(params.eval, 0, tmp_path / "missing-generator.safetensors", tmp_path / "missing-prior",
                       tmp_path / "train.json", tmp_path / "real.safetensors", tmp_path / "missing-clf", tmp_path / "m.json",
                       tmp_path / "missing-data")
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved == out and saved["status"] == "diverged" and saved["scores"] is None
    assert saved["train"]["diverged_at_step"] == 20 and saved["protocol"]["n_fake"] == 200
