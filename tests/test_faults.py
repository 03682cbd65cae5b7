"""Faults (issue 17, item 2): a full disk under a stage's output, with a real (tmpfs) file system."""
from __future__ import annotations

import contextlib
import gc
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, needs_dataset, run

pytestmark = [pytest.mark.e2e, needs_dataset]


@contextlib.contextmanager
def full_disk(folder: Path):
    """`folder` on a 1 MB tmpfs for the block (root only), then back on the disk underneath."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        gc.collect()  # a failed writer's file object (held by a traceback) keeps the mount busy
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def test_a_full_disk_fails_the_stage_in_one_line_and_a_rerun_after_freeing_space_succeeds(tmp_path):
    from conftest import DATASET_FILES

    raw = tmp_path / "raw"
    run(["ganpriors", "download", "--out-dir", str(raw)], ROOT)
    assert all((raw / name).is_file() for name in DATASET_FILES)
    with full_disk(tmp_path / "full") as full:
        proc = run(["ganpriors", "prepare", "--raw-dir", str(raw), "--out", str(full / "prepared.safetensors")], ROOT,
                   check=False)
        assert proc.returncode == 2
        assert proc.stderr.strip().count("\n") == 0, proc.stderr
        assert "No space left on device" in proc.stderr and "free disk space" in proc.stderr, proc.stderr
        assert list(full.iterdir()) == []  # neither the output nor its temporary file
    # The same folder, now on the (roomy) disk underneath: the rerun writes the file.
    run(["ganpriors", "prepare", "--raw-dir", str(raw), "--out", str(full / "prepared.safetensors")], ROOT)
    assert (full / "prepared.safetensors").stat().st_size > 50_000_000


def test_tensor_and_checkpoint_writes_on_a_full_disk_are_one_line_and_leave_nothing(tmp_path):
    import torch

    from ganpriors.errors import GanpriorsError
    from ganpriors.io import save_checkpoint, save_tensors

    big = {"w": torch.zeros(1_000_000)}  # 4 MB
    with full_disk(tmp_path / "full") as full:
        for write, name in ((save_tensors, "generator.safetensors"), (save_checkpoint, "seed0.pt")):
            with pytest.raises(GanpriorsError, match="cannot write output .*free disk space") as err:
                write(full / name, big)
            assert "\n" not in str(err.value) and str(full / name) in str(err.value)
            del err
        assert list(full.iterdir()) == []
