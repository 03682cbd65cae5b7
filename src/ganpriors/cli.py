"""Command-line interface: argument parsing only; one function per pipeline stage.

Every stage takes explicit input and output paths; Snakemake rules and DVC stages are thin
declarations over these commands. Bad input ends with one line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganpriors.errors import GanpriorsError


def _params(args):
    from ganpriors.config import load_params

    return load_params(args.params)


def cmd_check(args):
    from ganpriors.pipeline.dvc import dvc_yaml

    params = _params(args)
    dvc_file = Path(args.params).resolve().parent / "dvc.yaml"
    if dvc_file.is_file() and dvc_file.read_text() != dvc_yaml(params):
        raise GanpriorsError(f"{dvc_file}: stale for {args.params} (its runs or studies changed); "
                             "run `ganpriors dvc-yaml` to regenerate it")
    print(f"{args.params}: OK ({len(params.runs)} runs x {len(params.seeds)} seeds)")


def cmd_dvc_yaml(args):
    from ganpriors.io import write_text
    from ganpriors.pipeline.dvc import dvc_yaml

    text = dvc_yaml(_params(args))
    if args.check:
        current = Path(args.out).read_text() if Path(args.out).is_file() else ""
        if current != text:
            raise GanpriorsError(f"{args.out}: stale; run `ganpriors dvc-yaml` to regenerate it from {args.params}")
        print(f"{args.out}: up to date")
        return
    write_text(Path(args.out), text)
    print(f"wrote {args.out} ({text.count(chr(10))} lines)")


def cmd_download(args):
    from ganpriors.data.sources import fetch_all

    data = _params(args).data
    used = fetch_all(data.files, data.sources, Path(args.out_dir), data.timeout_s)
    for name, source in used.items():
        print(f"{name}: verified, from {source}")


def cmd_prepare(args):
    from ganpriors.data.datasets import prepare_from_idx

    _params(args)
    meta = prepare_from_idx(Path(args.raw_dir), Path(args.out))
    print(f"prepared {meta['sizes']} -> {args.out}")


def cmd_classifier(args):
    from ganpriors.metrics.classifier import train_classifier

    params = _params(args)
    result = train_classifier(params.classifier, Path(args.data), Path(args.out), Path(args.metrics))
    print(f"classifier test accuracy {result['test_accuracy']:.4f}")


def cmd_fit_prior(args):
    from ganpriors.priors.fitting import fit_prior

    params = _params(args)
    run = params.resolve_run(args.run)
    summary = fit_prior(run.prior, Path(args.out), Path(args.summary), run.model.z_dim)
    if "midpoint_kl" in summary:
        print(f"{args.run}: KL(p || p_mid) = {summary['midpoint_kl']:.5f}")
    else:
        print(f"{args.run}: learned {run.prior.kind} prior, initialised by the train stage: {summary['description']}")


def cmd_train(args):
    from ganpriors.train import train

    params = _params(args)
    summary = train(params.resolve_run(args.run), args.seed, Path(args.data), Path(args.prior),
                    Path(args.out_dir), progress=not args.no_progress)
    print(f"{args.run} seed {args.seed}: {summary['status']} after {summary['steps']} steps "
          f"({summary['steps_per_second']:.1f} steps/s on {summary['device']})")


def cmd_real_features(args):
    from ganpriors.metrics.evaluate import compute_real_features

    params = _params(args)
    compute_real_features(params.eval, Path(args.data), Path(args.classifier), Path(args.out))
    print(f"real features -> {args.out}")


def cmd_evaluate(args):
    from ganpriors.metrics.evaluate import evaluate_run

    params = _params(args)
    metrics = evaluate_run(params.eval, args.seed, Path(args.generator), Path(args.prior), Path(args.train_summary),
                           Path(args.real_features), Path(args.classifier), Path(args.out), Path(args.data))
    if metrics["status"] != "completed":
        print(f"{args.generator}: run {metrics['status']}; recorded without scores")
    else:
        shown = ("fid", "modes_covered", "kl_to_uniform", "high_quality_share")
        for name, values in metrics["scores"].items():
            print(f"{name}: " + ", ".join(f"{k} {values[k]:.4g}" for k in shown if values.get(k) is not None))
        print(f"({metrics['protocol']['feature_extractor']})")


def cmd_probe(args):
    from ganpriors.probes.runner import run_probe

    params = _params(args)
    result = run_probe(params, args.study, args.run, args.seed, Path(args.generator), Path(args.prior),
                       Path(args.train_log), Path(args.metrics), Path(args.classifier), Path(args.data),
                       Path(args.out_json), Path(args.out_grids))
    print(f"{args.study} probe of {args.run} seed {args.seed}: {result['status']}")


def cmd_report(args):
    from ganpriors.report import ReportDirs, build_report

    params = _params(args)
    as_path = lambda v: Path(v) if v else None  # noqa: E731
    dirs = ReportDirs(Path(args.tables_dir), Path(args.figures_dir), as_path(args.runs_dir), as_path(args.priors_dir),
                      as_path(args.probes_dir))
    for path in build_report(params, args.study, dirs):
        print(f"wrote {path}")


def cmd_reconcile(args):
    """After `dvc pull`/`dvc checkout`: make Snakemake accept the restored outputs.

    The restored files have arbitrary modification times, so Snakemake's mtime rule would rerun
    jobs whose outputs are in fact current. Only when DVC confirms that every output matches
    dvc.lock are the outputs touched in DAG order (`snakemake --touch`); params edits made later
    still rerun what they affect, through the params stamp files that are rule inputs.
    """
    import subprocess

    # The DAG of this params.yaml: its studies' reports and everything upstream (dvc.yaml also
    # declares the reports of studies a reduced params file may leave out).
    reports = [f"report_{name}" for name in _params(args).studies]
    status = subprocess.run(["dvc", "status", "--quiet", "--with-deps", *reports], capture_output=True, text=True)
    if status.returncode != 0:
        raise GanpriorsError(
            "dvc status reports outputs that differ from dvc.lock; run `dvc pull` (or `dvc repro`) first, "
            "then `ganpriors reconcile`"
        )
    touched = subprocess.run(["snakemake", "--touch", "--cores", "1", "--quiet"], capture_output=True, text=True)
    if touched.returncode != 0:
        tail = (touched.stderr or touched.stdout).strip().splitlines()[-1:] or ["no output"]
        raise GanpriorsError(f"snakemake --touch failed: {tail[0]}")
    print("outputs restored by DVC are now up to date for Snakemake (`snakemake -n` has nothing to do)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganpriors", description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help="the study's params file (default: params.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)

    def stage(name, func, help_):
        p = sub.add_parser(name, help=help_)
        p.set_defaults(func=func)
        p.add_argument("--params", default=argparse.SUPPRESS, help="the study's params file")
        return p

    stage("check", cmd_check, "validate params.yaml (and that dvc.yaml beside it is current) and exit")
    p = stage("dvc-yaml", cmd_dvc_yaml, "write dvc.yaml from params.yaml and the pipeline description")
    p.add_argument("--out", default="dvc.yaml")
    p.add_argument("--check", action="store_true", help="only check that the file is current")
    stage("reconcile", cmd_reconcile, "after dvc pull: mark DVC-verified outputs as up to date for Snakemake")
    p = stage("download", cmd_download, "fetch and verify the dataset's IDX files")
    p.add_argument("--out-dir", required=True)
    p = stage("prepare", cmd_prepare, "IDX files -> one safetensors file of uint8 images and labels")
    p.add_argument("--raw-dir", required=True)
    p.add_argument("--out", required=True)
    p = stage("classifier", cmd_classifier, "train the evaluation feature extractor")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--metrics", required=True)
    p = stage("fit-prior", cmd_fit_prior, "fit (or record) a run's latent prior")
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--summary", required=True)
    p = stage("train", cmd_train, "train one GAN for a run and seed")
    p.add_argument("--run", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--prior", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--no-progress", action="store_true")
    p = stage("real-features", cmd_real_features, "features of the real reference split, computed once")
    p.add_argument("--data", required=True)
    p.add_argument("--classifier", required=True)
    p.add_argument("--out", required=True)
    p = stage("evaluate", cmd_evaluate, "FID/KID/IS/precision/recall on prior samples and interpolations")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--generator", required=True)
    p.add_argument("--prior", required=True)
    p.add_argument("--train-summary", required=True)
    p.add_argument("--real-features", required=True)
    p.add_argument("--classifier", required=True)
    p.add_argument("--data", required=True, help="prepared dataset (reference set of runs trained on a view)")
    p.add_argument("--out", required=True)
    p = stage("probe", cmd_probe, "a study's own measurements on one trained run and seed")
    p.add_argument("--study", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--generator", required=True)
    p.add_argument("--prior", required=True)
    p.add_argument("--train-log", required=True)
    p.add_argument("--metrics", required=True)
    p.add_argument("--classifier", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out-json", required=True)
    p.add_argument("--out-grids", required=True)
    p = stage("report", cmd_report, "tables and figures of one study")
    p.add_argument("--study", required=True)
    p.add_argument("--tables-dir", required=True)
    p.add_argument("--figures-dir", required=True)
    p.add_argument("--runs-dir", help="trained runs (prior_vs_midpoint studies)")
    p.add_argument("--priors-dir", help="fitted priors (prior_vs_midpoint studies)")
    p.add_argument("--probes-dir", help="the study's probe outputs (studies with a probe stage)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command not in ("check", "dvc-yaml"):  # torch-free commands start in a fraction of a second
            import torch

            # Stages that do not set their own thread count (params) use one thread, whichever tool
            # runs them: Snakemake sets OMP_NUM_THREADS per job, DVC does not, and the bits differ.
            torch.set_num_threads(1)
        args.func(args)
    except GanpriorsError as exc:
        print(f"ganpriors {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ganpriors {args.command}: interrupted; outputs were not replaced", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
