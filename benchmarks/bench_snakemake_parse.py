"""`snakemake -n` on the full DAG of params.yaml against a trivial Snakefile with as many jobs.

The pipeline's parse-time cost (importing the workflow's helpers, validating params.yaml, building
the stage description, writing the params stamps) is the difference. Both run in the same
process environment, one after the other, on fresh copies with no outputs (every job pending).

    python benchmarks/bench_snakemake_parse.py [--repeats 5]
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline_copy import copy_pipeline, parse_args


def timed(cmd: list[str], cwd: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stderr[-2000:]}")
    return statistics.median(times)


def main() -> None:
    args = parse_args(__doc__)
    from ganpriors.config import load_params
    from ganpriors.pipeline.stages import jobs

    n_jobs = len(jobs(load_params(args.params))) + 1  # + rule all
    with tempfile.TemporaryDirectory() as tmp:
        full, trivial = copy_pipeline(Path(tmp) / "full", args.params), Path(tmp) / "trivial"
        trivial.mkdir()
        (trivial / "Snakefile").write_text(
            f'rule all:\n    input: expand("out/{{i}}.txt", i=range({n_jobs - 1}))\n\n'
            'rule make:\n    output: "out/{i}.txt"\n    shell: "touch {output}"\n')
        cmd = ["snakemake", "-n", "--cores", "1", "--quiet"]
        floor = timed(cmd, trivial, args.repeats)
        ours = timed(cmd, full, args.repeats)
    print(f"snakemake -n, {n_jobs} jobs, median of {args.repeats}")
    print(f"  trivial Snakefile (floor)  {floor:6.2f} s")
    print(f"  ganpriors full DAG         {ours:6.2f} s   ratio {ours / floor:.2f} (goal <= 1.3)")


if __name__ == "__main__":
    main()
