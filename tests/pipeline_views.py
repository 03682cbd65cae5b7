"""What each tool declares, as comparable data: one entry per job, keyed by its command."""
from __future__ import annotations

import ast
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from conftest import run


@dataclass
class Job:
    stage: str  # the `ganpriors <stage>` subcommand
    cmd: str
    inputs: set[str] = field(default_factory=set)
    outputs: set[str] = field(default_factory=set)
    params: set[str] | None = None
    stamp: str | None = None  # DVC: the params stamp the stage depends on


def normalise_cmd(cmd: str) -> str:
    cmd = re.sub(r"\s+2>\s*\S+\s*$", "", cmd.strip())  # Snakemake's log redirection
    return " ".join(shlex.split(cmd))


def snakemake_jobs(ws: Path) -> dict[str, Job]:
    """Every job of the DAG from a forced dry run: its shell command, inputs and outputs."""
    out = run(["snakemake", "--dry-run", "--printshellcmds", "--forceall", "--cores", "1"], ws).stdout
    jobs: dict[str, Job] = {}
    for block in re.split(r"\n(?=\[[^\]]+\]\n)", out):
        if not re.search(r"^(local)?rule \w+:", block, re.M):
            continue
        shell = re.search(r"^Shell command: (.*)$", block, re.M)
        if not shell or shell.group(1).strip() == "None":  # rule all
            continue
        files = {key: {p.strip() for p in m.split(",") if p.strip()}
                 for key, m in re.findall(r"^    (input|output): (.*)$", block, re.M)}
        cmd = normalise_cmd(shell.group(1))
        jobs[cmd] = Job(cmd.split()[1], cmd, files.get("input", set()), files.get("output", set()))
    return jobs


def snakemake_params_from_metadata(ws: Path) -> dict[str, set[str]]:
    """After a run: the params keys Snakemake recorded for each job, by normalised command."""
    found = {}
    for f in (ws / ".snakemake" / "metadata").iterdir():
        meta = json.loads(f.read_text())
        if not meta.get("shellcmd"):
            continue
        values = meta["params"] if isinstance(meta["params"], list) else ast.literal_eval(meta["params"])
        parsed = [ast.literal_eval(v) for v in values]
        # Keep the params sub-trees; the cache-key param holds only the job's wildcards.
        trees = [v for v in parsed if isinstance(v, dict) and not set(v) <= {"study", "run", "seed"}]
        keys = set().union(*(t.keys() for t in trees)) if trees else set()
        found[normalise_cmd(meta["shellcmd"])] = keys
    return found


STAMPS = ".ganpriors/params/"


def dvc_jobs(ws: Path) -> dict[str, Job]:
    """Every DVC stage but stamp_params (the writer of the params stamps, which Snakemake writes
    when it parses: see dvc_stamp_stage). A stage's params are the keys of its stamp file (the
    workspace's stamps must exist: snakemake_jobs writes them), its stamp is not among its inputs."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    jobs = {}
    with Repo(str(ws)) as repo:
        for stage in repo.index.stages:
            if stage.name == "stamp_params":
                continue
            cmd = normalise_cmd(stage.cmd)
            job = Job(cmd.split()[1], cmd, params=set())
            for dep in stage.deps:
                assert not isinstance(dep, ParamsDependency), f"{stage.name} reads params.yaml itself"
                if dep.def_path.startswith(STAMPS):
                    job.stamp = dep.def_path
                    job.params = set(json.loads((ws / dep.def_path).read_text()))
                else:
                    job.inputs.add(dep.def_path)
            job.outputs = {out.def_path for out in stage.outs}
            jobs[cmd] = job
    return jobs


def dvc_stamp_stage(ws: Path):
    """The stamp_params stage: (its command, its params dependencies as {file: keys}, its outputs)."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    with Repo(str(ws)) as repo:
        stage = next(s for s in repo.index.stages if s.name == "stamp_params")
        params = {dep.def_path: list(dep.params) for dep in stage.deps if isinstance(dep, ParamsDependency)}
        return normalise_cmd(stage.cmd), params, {out.def_path for out in stage.outs}
