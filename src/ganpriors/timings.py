"""Wall-clock timings, kept out of every hashed output.

Two runs of the same stage write identical bytes only if no output holds the time it took, and
both tools' caches (DVC's content hashes, Snakemake's output cache) rely on identical content.
Each stage records its timing here instead: .ganpriors/timings/<stage>/<job>.json (relative to
the working directory, untracked, never an input of anything). A failure to write it never fails
the stage.
"""
from __future__ import annotations

import json
from pathlib import Path

TIMINGS_DIR = Path(".ganpriors/timings")


def record(stage: str, job: str, timing: dict) -> Path | None:
    from ganpriors.io import write_text

    path = TIMINGS_DIR / stage / f"{job}.json"
    try:
        write_text(path, json.dumps(timing, sort_keys=True, indent=1) + "\n")
    except OSError:
        return None
    return path


def read(stage: str, job: str, root: Path | str = ".") -> dict | None:
    path = Path(root) / TIMINGS_DIR / stage / f"{job}.json"
    return json.loads(path.read_text()) if path.is_file() else None
