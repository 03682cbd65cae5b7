"""The report stage: tables and figures of the non-parametric-prior study."""
from __future__ import annotations

from pathlib import Path

from ganpriors.io import write_text
from ganpriors.priors import load_prior
from ganpriors.report import figures, tables
from ganpriors.report.paper import SINGH2019_NONPARAMETRIC_KL


def build_report(params, runs_dir: Path, priors_dir: Path, tables_dir: Path, figures_dir: Path) -> list[Path]:
    from ganpriors.train import load_generator

    runs, seeds, cfg = list(params.runs), params.seeds, params.report
    long, status = tables.collect_metrics(runs_dir, runs, seeds)
    summary = tables.summarise(long, status, runs, cfg.spread)
    display = tables.display_table(summary, cfg.spread, cfg.decimals)
    extractor = status["feature_extractor"].iloc[0]
    caption = (f"IS and FID on prior samples and on mid-points G((z1+z2)/2), Fashion-MNIST, mean ± {cfg.spread} "
               f"over seeds {seeds}; features: {extractor}. Paper columns: Singh et al. 2019, CelebA (Inception).")
    written = tables.write_table(summary, display, Path(tables_dir) / "prior_vs_midpoint", caption)

    long_path = Path(tables_dir) / "all_scores.csv"
    write_text(long_path, long.to_csv(index=False, float_format="%.6g"))
    written.append(long_path)

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
    write_text(kl_path.with_suffix(".csv"), kl.to_csv(index=False, float_format="%.6g"))
    written += [kl_path, kl_path.with_suffix(".csv")]

    priors = {run: load_prior(Path(priors_dir) / run / "prior.safetensors") for run in runs}
    generators = {}
    for run in runs:
        ok = status[(status.run == run) & (status.status == "completed")]
        if len(ok):
            gen, meta = load_generator(Path(runs_dir) / run / f"seed{int(ok.seed.iloc[0])}" / "generator.safetensors")
            generators[run] = (gen, meta["model"]["z_dim"])
    figures_dir = Path(figures_dir)
    written.append(figures.sample_grids(generators, priors, cfg.sample_grid, figures_dir / "samples.png", cfg.dpi))
    written.append(figures.interpolation_strips(generators, priors, cfg.interp_rows, cfg.interp_steps,
                                                figures_dir / "interpolations.png", cfg.dpi))
    written.append(figures.fid_vs_lambda(long, runs, params.eval.fake.lambdas, extractor.split(" ")[0],
                                         figures_dir / "fid_vs_lambda.png", cfg.dpi))
    written.append(figures.prior_densities(priors, figures_dir / "prior_pmf.png", cfg.dpi))
    return written
