"""The report stage: tables and figures of one study (dispatch on the study's kind), and the
prior-vs-mid-point report of the non-parametric-prior study (Singh et al.)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganpriors.errors import GanpriorsError
from ganpriors.io import write_text
from ganpriors.priors import load_prior
from ganpriors.report import figures, tables
from ganpriors.report.common import write_csv, write_table
from ganpriors.report.paper import SINGH2019_NONPARAMETRIC_KL
from ganpriors.report.results import read_runs


@dataclass
class ReportDirs:
    tables: Path
    figures: Path
    runs: Path | None = None    # results/runs (prior_vs_midpoint reads generators and metrics there)
    priors: Path | None = None  # results/priors
    probes: Path | None = None  # results/probes/<study> (studies with a probe stage)


def build_report(params, study_name: str, dirs: ReportDirs) -> list[Path]:
    from ganpriors import registry

    if study_name not in params.studies:
        raise GanpriorsError(f"params.yaml: no study '{study_name}' (studies are {', '.join(params.studies)})")
    study = params.studies[study_name]
    if getattr(dirs, study.reads) is None:
        raise GanpriorsError(f"report of a {study.kind} study needs --{study.reads}-dir")
    return registry.resolve(registry.STUDIES, study.kind)(params, study_name, study, dirs)


def build_prior_vs_midpoint(params, study_name: str, study, dirs: ReportDirs) -> list[Path]:
    from ganpriors.artifacts import TrainedModel

    runs_dir, priors_dir, tables_dir, figures_dir = dirs.runs, dirs.priors, dirs.tables, dirs.figures
    runs, seeds, cfg = list(study.runs), params.seeds, params.report
    results = read_runs(runs_dir, runs, seeds)
    status = results.status  # seeds ascending: a run's first completed row is its lowest completed seed
    summary = tables.summary_table(results, cfg.spread)
    display = tables.display_table(summary, cfg.spread, cfg.decimals)
    extractor = results.extractors()
    caption = (f"IS and FID on prior samples and on mid-points G((z1+z2)/2), Fashion-MNIST, mean ± {cfg.spread} "
               f"over seeds {seeds}; features: {extractor}. Paper columns: Singh et al. 2019, CelebA (Inception).")
    written = write_table(summary, display, Path(tables_dir) / "prior_vs_midpoint", caption)
    written.append(write_csv(Path(tables_dir) / "all_scores.csv", results.scores()))

    kl, np_summary = tables.prior_kl_table(priors_dir, runs)
    kl_md = "KL(p || p_mid) per dimension on each prior's own support (fine grid)\n\n" + kl.to_markdown(
        index=False, floatfmt=".4f") + "\n"
    if np_summary:
        ref = np_summary["reference_families_on_same_grid"]
        g = np_summary["grid"]
        kl_md += (f"\nOn the non-parametric prior's grid ({g['bins']} bins on [{g['low']}, {g['high']}]): "
                  f"non-parametric {np_summary['midpoint_kl']:.4f} (paper's released pmf: "
                  f"{SINGH2019_NONPARAMETRIC_KL}), variance / bins {np_summary['index_variance_over_bins']:.4f} "
                  f"(floor {np_summary['variance_floor']}); reference families truncated to the same grid: "
                  + ", ".join(f"{k} {v:.4f}" for k, v in ref.items()) + "\n")
    kl_path = Path(tables_dir) / "prior_kl.md"
    write_text(kl_path, kl_md)
    write_csv(kl_path.with_suffix(".csv"), kl)
    written += [kl_path, kl_path.with_suffix(".csv")]

    priors = {run: load_prior(Path(priors_dir) / run / "prior.safetensors") for run in runs}
    models = {}
    for run in runs:
        ok = status[(status.run == run) & (status.status == "completed")]
        if len(ok):
            seed_dir = Path(runs_dir) / run / f"seed{int(ok.seed.iloc[0])}"
            models[run] = TrainedModel.load(seed_dir / "generator.safetensors", Path(priors_dir) / run / "prior.safetensors")
    figures_dir = Path(figures_dir)
    written.append(figures.sample_grids(models, cfg.sample_grid, figures_dir / "samples.png", cfg.dpi))
    written.append(figures.interpolation_strips(models, cfg.interp_rows, cfg.interp_steps,
                                                figures_dir / "interpolations.png", cfg.dpi))
    written.append(figures.fid_vs_lambda(results.frame, runs, params.eval.fake.lambdas, extractor.split(" ")[0],
                                         figures_dir / "fid_vs_lambda.png", cfg.dpi))
    written.append(figures.prior_densities(priors, figures_dir / "prior_pmf.png", cfg.dpi))
    return written
