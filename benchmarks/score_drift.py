"""How far scores move between two environments: two metrics.json of the same run and seed (e.g.
one computed under requirements.lock, one under another torch release), score by score, with the
run's seed-to-seed spread beside for scale (from the other seeds' metrics files, when given).

Usage: python benchmarks/score_drift.py A/metrics.json B/metrics.json [--seeds S0/metrics.json S1/metrics.json ...]
"""
from __future__ import annotations

import argparse
import json
import statistics

KEYS = ("fid", "is", "kid", "precision", "recall", "i_variance")


def scores(path: str) -> dict:
    record = json.loads(open(path).read())
    if not record.get("scores"):
        raise SystemExit(f"{path}: no scores (status {record.get('status')!r})")
    return record["scores"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--seeds", nargs="*", default=[], help="metrics.json of the run's seeds (the spread)")
    args = ap.parse_args()
    a, b = scores(args.a), scores(args.b)
    seeds = [scores(p) for p in args.seeds]
    print(f"A {args.a}\nB {args.b}")
    print(f"{'set':<12}{'score':<12}{'A':>12}{'B':>12}{'B - A':>12}{'rel':>9}{'seed std':>11}{'|B-A|/std':>11}")
    worst = 0.0
    for name in a:
        for key in KEYS:
            if key not in a[name] or key not in b.get(name, {}):
                continue
            x, y = a[name][key], b[name][key]
            spread = statistics.stdev([s[name][key] for s in seeds]) if len(seeds) > 1 else None
            ratio = abs(y - x) / spread if spread else None
            if ratio is not None:
                worst = max(worst, ratio)
            print(f"{name:<12}{key:<12}{x:>12.4f}{y:>12.4f}{y - x:>12.4f}{(y - x) / x if x else 0:>9.2%}"
                  + (f"{spread:>11.4f}{ratio:>11.2f}" if spread else ""))
    if seeds:
        print(f"largest |B - A| in seed standard deviations: {worst:.2f}")


if __name__ == "__main__":
    main()
