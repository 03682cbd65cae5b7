"""A single-node Slurm cluster on this machine, started and stopped by a test.

munged (on a socket of its own), slurmctld and slurmd, configured for localhost: 2 CPUs, as many
megabytes as `memory_mb`, two GPU gres entries backed by /dev/null and /dev/zero (no CUDA here:
Slurm still hands them out and sets CUDA_VISIBLE_DEVICES, which is what a GPU job needs of it).
The configuration goes to /etc/slurm/slurm.conf, where any `srun` looks for it: Snakemake's
jobstep executor drops SLURM_CONF from the environment of the `srun` it runs inside each job.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

ETC = Path("/etc/slurm")
MARKER = "# written by ganpriors tests/slurm_cluster.py"
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol", "sinfo")


class ClusterUnavailable(RuntimeError):
    """The cluster cannot start on this machine (the reason is the message)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp: Path, memory_mb: int) -> str:
    return f"""{MARKER}
ClusterName=ganpriors-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={tmp}/munge.sock
StateSaveLocation={tmp}/state
SlurmdSpoolDir={tmp}/spool
SlurmctldPidFile={tmp}/slurmctld.pid
SlurmdPidFile={tmp}/slurmd.pid
SlurmctldLogFile={tmp}/slurmctld.log
SlurmdLogFile={tmp}/slurmd.log
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# Finished jobs stay visible to squeue for an hour (no accounting database here, so no sacct).
MinJobAge=3600
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
GresTypes=gpu
NodeName=localhost CPUs=2 RealMemory={memory_mb} Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def unavailable_reason() -> str | None:
    missing = [d for d in DAEMONS if shutil.which(d) is None]
    if missing:
        return f"Slurm not installed ({', '.join(missing)} missing): apt-get install slurm-wlm munge"
    if os.geteuid() != 0:
        return "slurmd must run as root to start jobs as their user"
    if (ETC / "slurm.conf").exists() and MARKER not in (ETC / "slurm.conf").read_text():
        return "/etc/slurm/slurm.conf belongs to a real cluster here; not overwriting it"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm not installed (pip install -r requirements.lock)"
    return None


def _wait(condition, timeout: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    tails = [f"{p.name}: {p.read_text().strip().splitlines()[-1:]}" for p in logs if p.is_file()]
    raise ClusterUnavailable(f"{what} within {timeout:.0f} s; {'; '.join(tails) or 'no daemon logs'}")


@contextmanager
def local_slurm(tmp: Path, memory_mb: int = 12000):
    """Start the cluster (ClusterUnavailable if it does not come up), yield, stop it and remove its files."""
    reason = unavailable_reason()
    if reason:
        raise ClusterUnavailable(reason)
    for sub in ("state", "spool"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    ETC.mkdir(parents=True, exist_ok=True)
    (ETC / "slurm.conf").write_text(_config(tmp, memory_mb))
    (ETC / "gres.conf").write_text(f"{MARKER}\nNodeName=localhost Name=gpu File=/dev/null\n"
                                   "NodeName=localhost Name=gpu File=/dev/zero\n")
    env = {k: v for k, v in os.environ.items() if k != "SLURM_CONF"}
    started = []
    try:
        subprocess.run(["munged", "--force", f"--socket={tmp}/munge.sock", f"--pid-file={tmp}/munged.pid",
                        f"--log-file={tmp}/munged.log", f"--seed-file={tmp}/munge.seed"], check=True, env=env,
                       capture_output=True)
        started.append(tmp / "munged.pid")
        for daemon in ("slurmctld", "slurmd"):
            subprocess.run([daemon], check=True, env=env, capture_output=True)
            started.append(tmp / f"{daemon}.pid")
        logs = [tmp / "slurmctld.log", tmp / "slurmd.log", tmp / "munged.log"]
        _wait(lambda: subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=env)
              .stdout.strip() == "idle", 60, "the node did not become idle", logs)
        yield env
    except subprocess.CalledProcessError as exc:
        raise ClusterUnavailable(f"{exc.cmd[0]} did not start: {(exc.stderr or b'').decode().strip()[-300:]}") from exc
    finally:
        subprocess.run(["scancel", "--full", "--user=root"], capture_output=True, env=env)
        subprocess.run(["scontrol", "shutdown"], capture_output=True, env=env)
        for pid_file in reversed(started):
            _stop(pid_file)
        for name in ("slurm.conf", "gres.conf"):
            path = ETC / name
            if path.is_file() and MARKER in path.read_text():
                path.unlink()


def _stop(pid_file: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return  # gone (or never wrote its pid)
        if time.monotonic() + 5 > deadline:
            os.kill(pid, 9)
        else:
            os.kill(pid, 15)
        time.sleep(0.5)
