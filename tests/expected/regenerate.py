"""Write tests/expected/quick.sha256 and quick-environment.json from a finished quick workspace.

    python tests/expected/regenerate.py WORKSPACE

Every file under the workspace's data/ and results/ is hashed as it is (no output holds a
wall-clock time), except that JSON files are hashed without their "environment" key: the machine
description differs between machines whose numbers are identical."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def without_environment(value):
    if isinstance(value, dict):
        return {k: without_environment(v) for k, v in value.items() if k != "environment"}
    if isinstance(value, list):
        return [without_environment(v) for v in value]
    return value


def artefact_hashes(ws: Path) -> dict[str, str]:
    hashes = {}
    for top in ("data", "results"):
        for path in sorted((Path(ws) / top).rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            if path.suffix == ".json":
                data = json.dumps(without_environment(json.loads(data)), sort_keys=True).encode()
            hashes[str(path.relative_to(ws))] = hashlib.sha256(data).hexdigest()
    return hashes


def stage_environment(ws: Path) -> dict:
    """The environment a training stage of the workspace ran in, as its train.json records it."""
    return json.loads((Path(ws) / "results/runs/normal/seed0/train.json").read_text())["environment"]


def main(ws: str) -> None:
    hashes = artefact_hashes(Path(ws))
    (HERE / "quick.sha256").write_text("".join(f"{h}  {p}\n" for p, h in sorted(hashes.items())))
    (HERE / "quick-environment.json").write_text(json.dumps(stage_environment(Path(ws)), sort_keys=True, indent=1) + "\n")
    print(f"{len(hashes)} artefacts hashed from {ws}")


if __name__ == "__main__":
    main(sys.argv[1])
