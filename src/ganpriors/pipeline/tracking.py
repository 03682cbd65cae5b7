"""Which params each stage reads, and the params stamps that make both tools rerun on an edit.

A stage reads only the params sub-trees its description names (ganpriors.pipeline.stages); both
tools track them through a stamp file per job (.ganpriors/params/<stage>[-<study>][-<run>].json,
rewritten only when its content changes) that is an input of the job: Snakemake writes the stamps
when it parses the Snakefile, DVC in its `stamp_params` stage (`ganpriors stamp-params`), the one
stage that reads params.yaml. Unlike Snakemake's own params tracking, a stamp needs no .snakemake/
metadata, which is local to one clone: it keeps working on outputs restored by `dvc pull` (after
`ganpriors reconcile`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganpriors.pipeline.stages import stage_params_keys

STAGE_PARAMS: dict[str, list[str]] = {k: list(v) for k, v in stage_params_keys().items()}


def get_path(raw: dict, dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        node = node[part]
    return node


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def stage_params(raw: dict, stage: str, **wildcards: str) -> dict:
    """The params sub-trees a stage depends on, key-sorted (Snakemake compares their repr)."""
    keys = [k.format(**wildcards) for k in STAGE_PARAMS[stage]]
    return {k: _sorted(get_path(raw, k)) for k in keys}


def stamp_path(stage: str, folder: Path | str, **wildcards: str) -> Path:
    keys = "".join(STAGE_PARAMS[stage])
    name = "-".join([stage] + [wildcards[w] for w in ("study", "run") if "{" + w + "}" in keys])
    return Path(folder) / f"{name}.json"


def write_params_stamp(raw: dict, stage: str, folder: Path | str, **wildcards: str) -> tuple[str | None, bool]:
    """Write a stage's params stamp when its content changed: (its path, whether it was written);
    (None, False) for stages without params."""
    tracked = stage_params(raw, stage, **wildcards)
    if not tracked:
        return None, False
    path = stamp_path(stage, folder, **wildcards)
    text = json.dumps(tracked, sort_keys=True, indent=1) + "\n"
    changed = not path.is_file() or path.read_text() != text
    if changed:
        from ganpriors.io import write_text

        write_text(path, text)
    return str(path), changed


def write_all_params_stamps(raw: dict, params, folder: Path | str) -> int:
    """Every job's stamp (the Snakefile's before the DAG is built: Snakemake may check an input's
    existence concurrently with the input function that writes it, seen on a fresh checkout).
    Stamps of runs no longer in params are left alone: deleting them would make a later params
    file that has those runs again rerun their jobs. Returns how many were (re)written."""
    from ganpriors.pipeline.stages import jobs

    done: dict[str, bool] = {}
    for job in jobs(params):
        path, changed = write_params_stamp(raw, job.stage.command, folder, **job.all_wildcards)
        if path is not None:
            done[path] = done.get(path, False) or changed
    return sum(done.values())
