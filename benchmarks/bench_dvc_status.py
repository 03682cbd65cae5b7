"""`dvc status` on the full DAG of params.yaml against a trivial dvc.yaml with as many stages.

The trivial DAG (the floor) has the same number of stages, as `matrix` and `foreach` stages over a
small params file, each with one dependency, one params key and one output. Both are timed in two
states, in fresh git + DVC repositories made here, one after the other:

- pending: nothing run (every stage reports changed);
- complete: every dependency and output present and recorded in dvc.lock (`dvc commit --force` on
  placeholder files of a few bytes), so that `dvc status` checks every hash: the state a researcher
  asks "what would rerun?" in.

    python benchmarks/bench_dvc_status.py [--repeats 5] [--params params.yaml]
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline_copy import copy_pipeline, parse_args


def sh(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{(proc.stderr or proc.stdout)[-2000:]}")
    return proc


def timed(cwd: Path, repeats: int, expect: str) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(["dvc", "status"], cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if expect not in proc.stdout + proc.stderr:
            sys.exit(f"dvc status in {cwd} did not say {expect!r}:\n{(proc.stdout + proc.stderr)[-1500:]}")
    return statistics.median(times)


def repository(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    sh(["git", "init", "-q"], path)
    sh(["dvc", "init", "-q"], path)
    sh(["dvc", "config", "core.analytics", "false"], path)
    return path


def trivial(path: Path, n_stages: int) -> Path:
    """n_stages stages: half a matrix over items x seeds, the rest one foreach, over a small params file."""
    repository(path)
    n_items = max(1, (n_stages // 2) // 3)
    foreach = n_stages - 3 * n_items
    items = [f"item{i}" for i in range(n_items)]
    (path / "params.yaml").write_text(
        "items: [" + ", ".join(items) + "]\nseeds: [0, 1, 2]\nscale: {"
        + ", ".join(f"item{i}: {i}" for i in range(max(n_items, foreach))) + "}\n")
    (path / "dvc.yaml").write_text(f"""stages:
  grid:
    matrix:
      item: ${{items}}
      seed: ${{seeds}}
    cmd: echo ${{item.item}} ${{item.seed}} > out/grid-${{item.item}}-${{item.seed}}
    deps:
      - in/${{item.item}}
    params:
      - scale.${{item.item}}
    outs:
      - out/grid-${{item.item}}-${{item.seed}}
  each:
    foreach: {[f"item{i}" for i in range(foreach)]}
    do:
      cmd: echo ${{item}} > out/each-${{item}}
      deps:
        - in/${{item}}
      params:
        - scale.${{item}}
      outs:
        - out/each-${{item}}
""")
    return path


def full(path: Path, params: Path) -> Path:
    repository(copy_pipeline(path, params))
    sh([sys.executable, "-m", "ganpriors.cli", "dvc-yaml"], path)
    return path


def complete(path: Path, stamp_cmd: list[str] | None) -> None:
    """Placeholder files for every declared dependency and output, then `dvc commit --force`."""
    from dvc.repo import Repo

    if stamp_cmd:
        sh(stamp_cmd, path)
    with Repo(str(path)) as repo:
        declared = {d.def_path for s in repo.index.stages for d in s.deps if not hasattr(d, "params")}
        declared |= {o.def_path for s in repo.index.stages for o in s.outs}
    for rel in sorted(declared):
        target = path / rel
        if target.exists():
            continue
        if any(other.startswith(rel + "/") for other in declared):
            target.mkdir(parents=True, exist_ok=True)  # a folder dependency (a report's runs)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rel + "\n")
    sh(["dvc", "commit", "--force", "--quiet"], path)


def main() -> None:
    args = parse_args(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        ours = full(Path(tmp) / "full", Path(args.params))
        from dvc.repo import Repo

        with Repo(str(ours)) as repo:
            n = len(repo.index.stages)
        floor = trivial(Path(tmp) / "trivial", n)
        rows = []
        for state in ("pending", "complete"):
            if state == "complete":
                complete(floor, None)
                complete(ours, [sys.executable, "-m", "ganpriors.cli", "stamp-params",
                                "--out-dir", ".ganpriors/params"])
            expect = "changed" if state == "pending" else "up to date"
            t_floor = timed(floor, args.repeats, expect)
            t_ours = timed(ours, args.repeats, expect)
            rows.append((state, t_floor, t_ours))
    print(f"dvc status, {n} stages, median of {args.repeats}")
    for state, t_floor, t_ours in rows:
        print(f"  {state:<9} trivial dvc.yaml (floor) {t_floor:5.2f} s   ganpriors full DAG {t_ours:5.2f} s"
              f"   ratio {t_ours / t_floor:4.2f}   (goal: <= 2 s)")


if __name__ == "__main__":
    main()
