"""The NEMGAN study's report: learned mode priors against the true one, clustering of the
inversion network's latent, mode-conditional generation, and quality (Mishra et al.)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ganpriors.io import write_text
from ganpriors.report import probe_tables as pt
from ganpriors.report.common import grid_figure, placeholder_figure, write_csv, write_table
from ganpriors.report.nemgan_figures import pi_trajectory_figure
from ganpriors.report.results import PROBE, Results, read_probes

# (set, probe number, CSV name, label)
NEMGAN_COLUMNS = [(PROBE, metric, name, label) for metric, name, label in [
    ("prior.pi_l1", "pi_l1", "L1(pi, true pi)"),
    ("clustering.purity", "purity", "k-means purity"),
    ("clustering.nmi", "nmi", "NMI"),
    ("clustering.ari", "ari", "ARI"),
    ("clustering.ec_accuracy", "ec_accuracy", "E_c accuracy"),
    ("conditional.accuracy", "conditional_accuracy", "mode-conditional accuracy"),
    ("conditional.aligned_accuracy", "aligned_accuracy", "mode = group accuracy"),
]]


def _mode_prior_table(results: Results, runs: list[str], decimals: int) -> pd.DataFrame:
    """Per run and mode: the true share, and the learned pi (mean and spread over seeds)."""
    rows = []
    for run in runs:
        done = results.completed(run)
        if not done:
            continue
        prior = done[0]["probe"]["prior"]
        pis = pd.DataFrame([p["probe"]["prior"]["pi"] for p in done])
        for mode, true in enumerate(prior["true_pi"]):
            vals = pis[mode]
            rows.append({"run": run, "learned prior": prior["learnable"], "mode": mode, "true pi": round(true, decimals),
                         "pi mean": round(float(vals.mean()), decimals),
                         "pi std": round(float(vals.std(ddof=1)), decimals) if len(vals) > 1 else None})
    return pd.DataFrame(rows)


def build_nemgan_report(params, study_name: str, study, dirs) -> list[Path]:
    runs, seeds, cfg = list(study.runs), params.seeds, params.report
    results = read_probes(dirs.probes, runs, seeds)
    columns = NEMGAN_COLUMNS + pt.SCORE_COLUMNS
    summary = pt.summary_table(results, columns, cfg.spread)
    first = {run: (results.completed(run) or [None])[0] for run in runs}
    summary.insert(1, "learned prior", [p["probe"]["prior"]["learnable"] if p else None for p in first.values()])
    summary.insert(2, "modes", [p["probe"]["prior"]["modes"] if p else None for p in first.values()])
    table = pt.display(summary, columns, cfg.spread, cfg.decimals, first=["learned prior", "modes"])
    extractor = results.extractors()
    caption = (f"NEMGAN study, Fashion-MNIST views: mean ± {cfg.spread} over seeds {seeds}. L1 between the learned "
               "(or fixed) mode prior and the true group shares; k-means (k = modes) on the inversion network's "
               "E_z of the test split: purity, NMI, ARI; E_c accuracy on the test split; mode-conditional accuracy = "
               "mean over modes of the share of G(z | mode) in the mode's majority group (classifier labels), and "
               f"the share in the group the mode is meant for; scores on prior samples, features: {extractor}, "
               "reference = the test split under the run's view.")
    tables_dir, figures_dir = Path(dirs.tables), Path(dirs.figures)
    written = write_table(summary, table, tables_dir / "nemgan", caption)

    modes = _mode_prior_table(results, runs, cfg.decimals)
    written.append(write_csv(tables_dir / "mode_prior.csv", modes))
    write_text(tables_dir / "mode_prior.md", "Learned mode prior pi per mode against the true group shares "
               f"(mean and std over seeds {seeds}).\n\n" + modes.to_markdown(index=False) + "\n")
    written += [tables_dir / "mode_prior.md", write_csv(tables_dir / "all_scores.csv", results.scores())]

    trajectories = {}
    for run in runs:
        seed = results.first_completed_seed(run)
        path = figures_dir / f"modes_{run}.png"
        if seed is None:
            written.append(placeholder_figure(path, f"{run}: no completed seed", cfg.dpi))
            continue
        probe = results.record(run, seed)["probe"]
        trajectories[f"{run} (seed {seed})"] = {**probe["pi_trajectory"], "true": probe["prior"]["true_pi"]}
        grids = pt.read_grids(dirs.probes, run, seed)
        written.append(grid_figure(grids["modes"], f"{run} (seed {seed}): samples per mode", path, cfg.dpi))
    written.append(pi_trajectory_figure(trajectories, figures_dir / "pi_trajectory.png", cfg.dpi) if trajectories
                   else placeholder_figure(figures_dir / "pi_trajectory.png", "no completed run", cfg.dpi))
    return written
