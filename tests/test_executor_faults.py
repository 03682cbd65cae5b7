"""Faults under the real executors (issue 17, item 2): Snakemake and DVC killed in the middle of a
training job, and a second Snakemake started in a busy workspace.

One small workspace of the quick configuration with longer training (so that a kill lands after a
checkpoint and before the end), the Cauchy run's two seeds trained uninterrupted once as the
reference. Each test deletes seed 0's outputs, runs a tool on it, injects the fault, recovers as
docs/sharing.md says ("Kills and crashes under the executors"), and compares with the reference
byte for byte.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import make_workspace, run, write_dvc_yaml
from ganpriors.pipeline import layout as L

pytestmark = [pytest.mark.e2e, pytest.mark.needs_dataset]

RUN = "cauchy"
STEPS, EVERY = 300, 50  # about 8 s of training here: a kill after the first checkpoint lands mid-run
OUTPUTS = (L.GENERATOR, L.TRAIN_LOG, L.TRAIN_SUMMARY)
SEED0 = [p.format(run=RUN, seed=0) for p in OUTPUTS]
SEED1 = [p.format(run=RUN, seed=1) for p in OUTPUTS]
CHECKPOINTS = Path(L.CHECKPOINTS) / RUN


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, Path]:
    """(workspace with data, the Cauchy prior and both seeds trained; a copy of seed 0's outputs)."""
    ws = tmp_path_factory.mktemp("executor-faults")
    make_workspace(ws, dvc=True)
    text = (ws / "params.yaml").read_text()
    for old, new in (("    steps: 30\n", f"    steps: {STEPS}\n"), ("    checkpoint_every: 20\n", f"    checkpoint_every: {EVERY}\n")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (ws / "params.yaml").write_text(text)
    write_dvc_yaml(ws)
    run(["snakemake", "--cores", "all", SEED0[0], SEED1[0]], ws)
    reference = tmp_path_factory.mktemp("reference")
    for path in SEED0:
        shutil.copy2(ws / path, reference / Path(path).name)
    return ws, reference


def fresh_seed0(ws: Path) -> None:
    for path in SEED0:
        (ws / path).unlink(missing_ok=True)
    shutil.rmtree(ws / CHECKPOINTS, ignore_errors=True)


def start_and_wait_for_a_checkpoint(cmd: list[str], ws: Path) -> subprocess.Popen:
    """Start `cmd` in a session of its own; return once seed 0's first checkpoint exists, the
    training still running."""
    proc = subprocess.Popen(cmd, cwd=ws, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "DVC_NO_ANALYTICS": "1"})
    deadline = time.time() + 300
    while not list((ws / CHECKPOINTS).glob("seed0-*.pt")):
        assert proc.poll() is None and time.time() < deadline, f"{cmd} ended ({proc.returncode}) before a checkpoint"
        time.sleep(0.05)
    assert proc.poll() is None and not (ws / SEED0[0]).exists(), "training finished before the fault; raise STEPS"
    return proc


def session_members(sid: int) -> list[int]:
    """Live processes of session `sid` (field 6 of /proc/<pid>/stat; no procps needed)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        except (OSError, IndexError):
            continue  # ended meanwhile
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def wait_session_gone(sid: int, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while session_members(sid):
        assert time.time() < deadline, "the killed tool's jobs did not end"
        time.sleep(0.1)


def files(ws: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(ws)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in ws.rglob("*") if p.is_file() and ".git" not in p.relative_to(ws).parts}


def assert_same_as_reference(ws: Path, reference: Path, resumed: bool) -> None:
    """Generator and training log byte-identical to the uninterrupted run; the summary too, but for
    the step it resumed from."""
    for path in SEED0[:2]:
        assert (ws / path).read_bytes() == (reference / Path(path).name).read_bytes(), path
    got, want = (json.loads(p.read_text()) for p in (ws / SEED0[2], reference / Path(SEED0[2]).name))
    assert want["resumed_from_step"] == 0 and got["status"] == "completed" and got["steps"] == STEPS
    if resumed:
        assert got["resumed_from_step"] >= EVERY, got["resumed_from_step"]
    assert {k: v for k, v in got.items() if k != "resumed_from_step"} == \
        {k: v for k, v in want.items() if k != "resumed_from_step"}
    assert not list((ws / CHECKPOINTS).glob("seed0-*.pt"))  # removed once the outputs exist


def planned_jobs(ws: Path, *extra: str) -> list[str]:
    """The (rule, wildcards) lines of a dry run of both seeds' training."""
    proc = run(["snakemake", "-n", "--cores", "1", *extra, SEED0[0], SEED1[0]], ws)
    return sorted(line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("wildcards:"))


def incomplete_markers(ws: Path) -> set[str]:
    folder = ws / ".snakemake" / "incomplete"
    return {base64.urlsafe_b64decode(p.name).decode() for p in folder.iterdir()} if folder.exists() else set()


def test_a_second_snakemake_in_a_busy_workspace_is_refused_and_writes_nothing(workspace):
    ws, reference = workspace
    fresh_seed0(ws)
    first = start_and_wait_for_a_checkpoint(["snakemake", "--cores", "1", SEED0[0]], ws)
    os.killpg(first.pid, signal.SIGSTOP)  # held still, so that any file that changes is the second's
    try:
        before = files(ws)
        second = run(["snakemake", "--cores", "1", SEED0[0]], ws, check=False)
        after = files(ws)
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    assert second.returncode == 1
    assert "LockException" in second.stderr and "Directory cannot be locked" in second.stderr, second.stderr[-2000:]
    # Nothing of the workspace changed; Snakemake's own log of the refused run is all that is new.
    new = sorted(after.keys() - before.keys())
    assert len(new) == 1 and new[0].startswith(".snakemake/log/") and new[0].endswith(".snakemake.log"), new
    assert {k: v for k, v in after.items() if k in before} == before
    assert first.wait(timeout=600) == 0  # the first run, paused and resumed, finishes unharmed
    assert_same_as_reference(ws, reference, resumed=False)


def test_sigkill_of_snakemake_and_its_jobs_mid_training_resumes_and_ends_byte_identical(workspace):
    """A crash of the whole session (the terminal's process group, a node's reboot): Snakemake and
    its running job die. The next run is refused by the stale lock (its message says --unlock);
    after `snakemake --unlock` it plans exactly the interrupted job, which resumes from its
    checkpoint."""
    ws, reference = workspace
    fresh_seed0(ws)
    seed1_before = {p: (ws / p).stat().st_mtime_ns for p in SEED1}
    proc = start_and_wait_for_a_checkpoint(["snakemake", "--cores", "1", SEED0[0], SEED1[0]], ws)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    wait_session_gone(proc.pid)
    assert not any((ws / p).exists() for p in SEED0)  # nothing half-written under a final name
    assert incomplete_markers(ws) == set(SEED0)
    refused = run(["snakemake", "--cores", "1", SEED0[0], SEED1[0]], ws, check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode == 1 and "LockException" in said and "--unlock" in said, said[-2000:]
    run(["snakemake", "--unlock"], ws)
    assert planned_jobs(ws) == ["wildcards: run=cauchy, seed=0"]
    run(["snakemake", "--cores", "1", SEED0[0], SEED1[0]], ws)
    assert_same_as_reference(ws, reference, resumed=True)
    assert {p: (ws / p).stat().st_mtime_ns for p in SEED1} == seed1_before  # the finished job untouched
    assert incomplete_markers(ws) == set()


def test_sigkill_of_snakemake_alone_mid_training_is_rerun_with_rerun_incomplete(workspace):
    """Only the snakemake process is killed (the OOM killer's choice): its job lives on and writes
    its outputs, which Snakemake's incomplete markers then flag. The next run names them;
    `--rerun-incomplete` (set in workflow/profiles/default) reruns exactly that job."""
    ws, reference = workspace
    fresh_seed0(ws)
    proc = start_and_wait_for_a_checkpoint(["snakemake", "--cores", "1", SEED0[0], SEED1[0]], ws)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    wait_session_gone(proc.pid)  # the orphaned training job finishes on its own
    assert all((ws / p).exists() for p in SEED0) and incomplete_markers(ws) == set(SEED0)
    run(["snakemake", "--unlock"], ws)
    refused = run(["snakemake", "-n", "--cores", "1", SEED0[0], SEED1[0]], ws, check=False)
    said = refused.stdout + refused.stderr  # a dry run reports on stdout
    assert refused.returncode == 1 and "IncompleteFilesException" in said, said[-2000:]
    assert all(p in said for p in SEED0) and "--rerun-incomplete" in said
    assert planned_jobs(ws, "--rerun-incomplete") == ["wildcards: run=cauchy, seed=0"]
    run(["snakemake", "--cores", "1", "--profile", "workflow/profiles/default", SEED0[0], SEED1[0]], ws)
    assert_same_as_reference(ws, reference, resumed=False)  # retrained from the start: same bytes
    assert incomplete_markers(ws) == set()


def test_sigkill_of_dvc_repro_mid_training_releases_its_lock_and_the_rerun_resumes(workspace):
    """DVC's locks name the process that holds them: after a SIGKILL of `dvc repro` and its job,
    the next `dvc repro` finds the holder dead, takes the lock, and the stage resumes from its
    checkpoint. The same command as Snakemake's, so the same bytes."""
    ws, reference = workspace
    fresh_seed0(ws)
    stage = f"train@{RUN}-0"
    proc = start_and_wait_for_a_checkpoint(["dvc", "repro", "--single-item", stage], ws)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    wait_session_gone(proc.pid)
    rwlock = json.loads((ws / ".dvc/tmp/rwlock").read_text())
    assert {entry["pid"] for entry in rwlock["write"].values()} == {proc.pid}  # left behind, stale
    assert not any((ws / p).exists() for p in SEED0)
    again = run(["dvc", "repro", "--single-item", stage], ws)
    assert f"Running stage '{stage}'" in again.stdout and "busy" not in again.stdout + again.stderr
    assert_same_as_reference(ws, reference, resumed=True)
    status = run(["dvc", "status", stage], ws)
    assert "up to date" in status.stdout, status.stdout
