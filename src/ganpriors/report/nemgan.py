"""The NEMGAN study's report: learned mode priors against the true one, clustering of the
inversion network's latent, mode-conditional generation, and quality (Mishra et al.)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ganpriors.io import write_text
from ganpriors.report import probe_tables as pt
from ganpriors.report.nemgan_figures import pi_trajectory_figure
from ganpriors.report.stylegenes_figures import grid_figure, placeholder_figure
from ganpriors.report.tables import write_table

NEMGAN_COLUMNS = [
    ("pi_l1", "L1(pi, true pi)"),
    ("purity", "k-means purity"),
    ("nmi", "NMI"),
    ("ari", "ARI"),
    ("ec_accuracy", "E_c accuracy"),
    ("conditional_accuracy", "mode-conditional accuracy"),
    ("aligned_accuracy", "mode = group accuracy"),
]


def _per_seed(probes: list[dict]) -> pd.DataFrame:
    rows = []
    for p in probes:
        if p["status"] != "completed":
            continue
        n = p["probe"]
        rows.append({"run": p["run"], "seed": p["seed"], "pi_l1": n["prior"]["pi_l1"],
                     "purity": n["clustering"]["purity"], "nmi": n["clustering"]["nmi"],
                     "ari": n["clustering"]["ari"], "ec_accuracy": n["clustering"]["ec_accuracy"],
                     "conditional_accuracy": n["conditional"]["accuracy"],
                     "aligned_accuracy": n["conditional"]["aligned_accuracy"]})
    info = pd.DataFrame(rows, columns=["run", "seed"] + [c for c, _ in NEMGAN_COLUMNS])
    return pt.scores_per_seed(probes).merge(info, on=["run", "seed"], how="outer")


def _mode_prior_table(probes: list[dict], runs: list[str], decimals: int) -> pd.DataFrame:
    """Per run and mode: the true share, and the learned pi (mean and spread over seeds)."""
    rows = []
    for run in runs:
        done = [p for p in probes if p["run"] == run and p["status"] == "completed"]
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
    probes = pt.read_probes(dirs.probes, runs, seeds)
    columns = NEMGAN_COLUMNS + list(pt.SCORE_COLUMNS)
    summary = pt.summarise(_per_seed(probes), runs, [c for c, _ in columns], cfg.spread)
    learnable = {p["run"]: p["probe"]["prior"]["learnable"] for p in probes if p["status"] == "completed"}
    groups = {p["run"]: p["probe"]["prior"]["modes"] for p in probes if p["status"] == "completed"}
    summary.insert(1, "learned prior", [learnable.get(r) for r in runs])
    summary.insert(2, "modes", [groups.get(r) for r in runs])
    table = pt.display(summary, columns, cfg.spread, cfg.decimals, first=["learned prior", "modes"])
    extractor = probes[0]["protocol"]["feature_extractor"]
    caption = (f"NEMGAN study, Fashion-MNIST views: mean ± {cfg.spread} over seeds {seeds}. L1 between the learned "
               "(or fixed) mode prior and the true group shares; k-means (k = modes) on the inversion network's "
               "E_z of the test split: purity, NMI, ARI; E_c accuracy on the test split; mode-conditional accuracy = "
               "mean over modes of the share of G(z | mode) in the mode's majority group (classifier labels), and "
               f"the share in the group the mode is meant for; scores on prior samples, features: {extractor}, "
               "reference = the test split under the run's view.")
    tables_dir, figures_dir = Path(dirs.tables), Path(dirs.figures)
    written = write_table(summary, table, tables_dir / "nemgan", caption)

    modes = _mode_prior_table(probes, runs, cfg.decimals)
    write_text(tables_dir / "mode_prior.csv", modes.to_csv(index=False, float_format="%.6g"))
    write_text(tables_dir / "mode_prior.md", "Learned mode prior pi per mode against the true group shares "
               f"(mean and std over seeds {seeds}).\n\n" + modes.to_markdown(index=False) + "\n")
    write_text(tables_dir / "all_scores.csv", pt.long_scores(probes).to_csv(index=False, float_format="%.6g"))
    written += [tables_dir / "mode_prior.csv", tables_dir / "mode_prior.md", tables_dir / "all_scores.csv"]

    trajectories = {}
    for run in runs:
        seed = pt.first_completed_seed(probes, run)
        path = figures_dir / f"modes_{run}.png"
        if seed is None:
            written.append(placeholder_figure(path, f"{run}: no completed seed", cfg.dpi))
            continue
        probe = next(p for p in probes if p["run"] == run and p["seed"] == seed)["probe"]
        trajectories[f"{run} (seed {seed})"] = {**probe["pi_trajectory"], "true": probe["prior"]["true_pi"]}
        grids = pt.read_grids(dirs.probes, run, seed)
        written.append(grid_figure(grids["modes"], f"{run} (seed {seed}): samples per mode", path, cfg.dpi))
    written.append(pi_trajectory_figure(trajectories, figures_dir / "pi_trajectory.png", cfg.dpi) if trajectories
                   else placeholder_figure(figures_dir / "pi_trajectory.png", "no completed run", cfg.dpi))
    return written
