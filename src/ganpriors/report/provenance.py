"""Where a study's committed tables come from: the commit, the environment, the pinned inputs.

The pipeline's own outputs never hold the commit (a refactor proves itself by identical bytes, and
both tools' caches key on content). `ganpriors provenance`, run in the workspace after a full
run, writes results/tables/<study>/provenance.json beside the tables instead: the commit the
workspace is at (and whether the files the results depend on are modified against it), the
distinct environment fingerprints recorded in the study's artefacts, the hashes of params.yaml,
requirements.lock and the feature extractor's weights, and the wall-clock seconds each stage took.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from ganpriors import timings
from ganpriors.errors import GanpriorsError
from ganpriors.io import sha256_file
from ganpriors.pipeline import layout

# Inputs of every result besides the data: a change here against the commit makes the record "dirty".
SOURCES = ("src", "params.yaml", "requirements.lock", "Snakefile", "workflow", "pyproject.toml")
# The parts of a fingerprint a reader needs to rerun alike (the whole record stays in the artefacts).
SUMMARY_KEYS = {"python": ("version",), "torch": ("version", "build", "git_version", "cpu_capability", "cuda"),
                "cpu": ("model",), "numpy": ("version", "blas"), "threads": None, "packages": None,
                "device": None, "gpu": None}


def summarise_environment(record: dict) -> dict:
    out = {}
    for key, fields in SUMMARY_KEYS.items():
        if key in record:
            value = record[key]
            out[key] = {f: value.get(f) for f in fields} if fields and isinstance(value, dict) else value
    return out


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise GanpriorsError(f"git {' '.join(args)} failed in {root}: {proc.stderr.strip().splitlines()[-1:]}; "
                             "provenance needs the workspace to be a git checkout")
    return proc.stdout.rstrip()


def commit_record(root: Path) -> dict:
    modified = [line[3:] for line in _git(root, "status", "--porcelain", "--", *SOURCES).splitlines()]
    return {"commit": _git(root, "rev-parse", "HEAD"), "modified": modified}


def _sha256(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


def _digest(tree: dict) -> str:
    return hashlib.sha256(json.dumps(tree, sort_keys=True).encode()).hexdigest()[:12]


def study_files(params, name: str) -> list[str]:
    """The artefacts of a study that carry an environment record: its runs' metrics (or its probes)."""
    study = params.studies[name]
    template = layout.PROBE_JSON if study.has_probe else layout.METRICS
    return [template.format(study=name, run=run, seed=seed) for run in study.runs for seed in params.seeds]


def environments(root: Path, files: list[str]) -> tuple[dict, list[str]]:
    """digest -> {summary, files}; and the files that are missing."""
    found, missing = {}, []
    for rel in files:
        path = root / rel
        if not path.is_file():
            missing.append(rel)
            continue
        record = json.loads(path.read_text()).get("environment") or {}
        summary = summarise_environment(record)
        entry = found.setdefault(_digest(summary), {"summary": summary, "files": 0})
        entry["files"] += 1
    return found, missing


def stage_seconds(root: Path, params, name: str) -> dict:
    """Wall-clock seconds per stage of the study's jobs, from ganpriors.timings (absent ones skipped)."""
    study, totals = params.studies[name], {}
    jobs = [("train", f"{run}-seed{seed}") for run in study.runs for seed in params.seeds]
    jobs += [("evaluate", f"{run}-seed{seed}") for run in study.runs for seed in params.seeds]
    for stage, job in jobs:
        timing = timings.read(stage, job, root)
        if timing and "seconds" in timing:
            totals[stage] = round(totals.get(stage, 0.0) + timing["seconds"], 1)
    return totals


def provenance(root: Path, params, name: str, params_path: Path) -> dict:
    from ganpriors.metrics.classifier import pinned_path

    found, missing = environments(root, study_files(params, name))
    if missing:
        raise GanpriorsError(f"study {name}: {len(missing)} artefacts missing (e.g. {missing[0]}); run the study "
                             "first (snakemake --cores all, or dvc repro), then record its provenance")
    pinned = params.classifier.pinned
    return {
        "study": name, **commit_record(root),
        "params_sha256": _sha256(params_path), "lock_sha256": _sha256(root / "requirements.lock"),
        "feature_extractor": {"name": params.eval.feature_extractor.name,
                              "classifier": pinned.name if pinned else "retrained",
                              "weights_sha256": _sha256(root / layout.CLASSIFIER)
                              or (_sha256(pinned_path(pinned.name)) if pinned else None)},
        "seeds": params.seeds, "runs": params.studies[name].runs,
        "environments": [{"digest": k, **v} for k, v in sorted(found.items())],
        "seconds": stage_seconds(root, params, name),
    }


def write_provenance(root: Path, params, params_path: Path, names: list[str]) -> list[Path]:
    from ganpriors.io import write_text

    written = []
    for name in names:
        if name not in params.studies:
            raise GanpriorsError(f"no study {name!r} in {params_path} (studies: {', '.join(params.studies)})")
        path = root / layout.tables_dir(name) / "provenance.json"
        write_text(path, json.dumps(provenance(root, params, name, params_path), indent=1, sort_keys=True) + "\n")
        written.append(path)
    return written
