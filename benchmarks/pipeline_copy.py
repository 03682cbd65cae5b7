"""What the no-op-check benchmarks share: their arguments and a copy of the pipeline's declarations."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args(doc: str) -> argparse.Namespace:
    """--repeats and --params; the repository's src/ goes on sys.path (ganpriors without an install)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    return args


def copy_pipeline(dest: Path, params: Path | str) -> Path:
    """The Snakefile, workflow/ and a params file in a fresh folder (no outputs: every job pending)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "workflow"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, dest / name)
    shutil.copy2(params, dest / "params.yaml")
    return dest
