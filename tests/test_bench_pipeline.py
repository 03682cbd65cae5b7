"""benchmarks/bench_pipeline.py keeps running against the training API (two timed steps per run)."""
from __future__ import annotations

import subprocess
import sys

import torch

from ganpriors.io import save_tensors

from conftest import ROOT


def test_bench_pipeline_runs_at_tiny_size(tmp_path):
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (600,), generator=g)  # NEMGAN's supervision takes 500
    images = torch.randint(0, 256, (600, 1, 28, 28), generator=g, dtype=torch.uint8)
    data = tmp_path / "data.safetensors"
    save_tensors(data, {"train_images": images, "train_labels": labels,
                        "test_images": images.clone(), "test_labels": labels.clone()})
    # an image run, a 2-D mixture run (MLP) with the MaEM regularisers, and NEMGAN (no randn baseline)
    runs = ["normal", "ring_maem", "nemgan_superclass"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/bench_pipeline.py"), "--params", str(ROOT / "params.yaml"),
         "--data", str(data), "--priors-dir", str(tmp_path / "no-priors"), "--runs", *runs,
         "--steps", "2", "--warmup", "1", "--repeats", "1", "--sampling-reps", "2", "--skip-noop"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines[2:]] == runs
    assert "n/a" in lines[-1] and "n/a" not in lines[2]
