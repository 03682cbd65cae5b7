"""The StyleGenes study's report: quality, size, class information per latent unit, and
conditional sampling from the unconditionally trained model (Ntavelis et al. 2023)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ganpriors.data.datasets import FASHION_MNIST_CLASSES
from ganpriors.io import write_text
from ganpriors.report import probe_tables as pt
from ganpriors.report.common import grid_figure, placeholder_figure, write_csv, write_table
from ganpriors.report.results import PROBE, Results, read_probes

INFO_COLUMNS = [(PROBE, name, name, label) for name, label in [
    ("max_unit_information", "class info, best gene / chunk"),
    ("unit_information_concentration", "concentration (best / all units)"),
    ("max_coordinate_information", "class info, best coordinate"),
    ("mean_conditional_accuracy", "conditional accuracy"),
]]


def _sizes(results: Results, runs: list[str]) -> pd.DataFrame:
    """Per run: what the latent is, its learnable parameters and number of distinct latents."""
    rows = []
    for run in runs:
        done = results.completed(run)
        p = done[0] if done else None
        desc = p["probe"]["describe"] if p else {}
        distinct = desc.get("distinct_latents")
        rows.append({"run": run, "latent": p["probe"]["units"] if p else "",
                     "latent parameters": desc.get("parameters", 0),
                     "distinct latents": f"{distinct:.3g}" if distinct else "continuous",
                     "generator parameters": desc.get("generator_parameters")})
    return pd.DataFrame(rows)


def build_stylegenes_report(params, study_name: str, study, dirs) -> list[Path]:
    runs, seeds, cfg = list(study.runs), params.seeds, params.report
    results = read_probes(dirs.probes, runs, seeds)
    columns = pt.SCORE_COLUMNS + INFO_COLUMNS
    summary = _sizes(results, runs).merge(pt.summary_table(results, columns, cfg.spread), on="run")
    table = pt.display(summary, columns, cfg.spread, cfg.decimals,
                       first=["latent", "latent parameters", "distinct latents"])
    extractor = results.extractors()
    caption = (f"StyleGenes study, Fashion-MNIST: scores on prior samples (mean ± {cfg.spread} over seeds {seeds}; "
               f"features: {extractor}); class information = I(unit; class) / H(class) of the classifier's labels "
               "of generated images, for the best latent unit (a gene, or a k-means-coded chunk of a continuous "
               "latent) and the best single coordinate; conditional accuracy = share of samples drawn from "
               "p(unit codes | class) that the classifier labels as the requested class (mean over 10 classes).")
    tables_dir, figures_dir = Path(dirs.tables), Path(dirs.figures)
    written = write_table(summary, table, tables_dir / "stylegenes", caption)

    written += _conditional_table(results, runs, tables_dir / "conditional_accuracy", cfg.decimals)
    written.append(write_csv(tables_dir / "all_scores.csv", results.scores()))

    for run in runs:
        seed = results.first_completed_seed(run)
        grids = pt.read_grids(dirs.probes, run, seed) if seed is not None else {}
        for kind, title in (("gene_swap", "one unit changed per row"), ("class_conditional", "conditional samples")):
            path = figures_dir / f"{kind}_{run}.png"
            if kind in grids:
                written.append(grid_figure(grids[kind], f"{run} (seed {seed}): {title}", path, cfg.dpi))
            else:  # every seed diverged: an explicit placeholder instead of a missing output
                written.append(placeholder_figure(path, f"{run}: no completed seed", cfg.dpi))
    return written


def _conditional_table(results: Results, runs: list[str], stem: Path, decimals: int) -> list[Path]:
    """Per class: conditional-sampling accuracy of each run (mean over seeds), and the class's share
    among unconditional samples (what conditioning must beat)."""
    rows = []
    for run in runs:
        done = results.completed(run)
        if not done:
            continue
        acc = pd.DataFrame([p["probe"]["conditional_accuracy"] for p in done]).mean()
        share = pd.DataFrame([p["probe"]["unconditional_share"] for p in done]).mean()
        rows.append({"run": run, "samples": "conditional", **dict(zip(FASHION_MNIST_CLASSES, acc))})
        rows.append({"run": run, "samples": "unconditional share", **dict(zip(FASHION_MNIST_CLASSES, share))})
    df = pd.DataFrame(rows)
    write_csv(stem.with_suffix(".csv"), df)
    md = ("Conditional sampling: share of samples the classifier labels as the requested class, mean over seeds; "
          "'unconditional share' is that class's share among unconditional samples.\n\n"
          + df.to_markdown(index=False, floatfmt=f".{decimals}f") + "\n")
    write_text(stem.with_suffix(".md"), md)
    return [stem.with_suffix(".csv"), stem.with_suffix(".md")]
