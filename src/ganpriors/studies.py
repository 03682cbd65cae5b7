"""What each kind of study produces (torch-free: the Snakefile reads it at parse time).

A study compares some runs (params `studies.<name>`); its report stage writes the files listed
here under results/tables/<name>/ and results/figures/<name>/. Studies with a probe (a
measurement specific to the paper, on each run and seed) also have a probe stage writing
results/probes/<name>/<run>/seed<seed>.{json,safetensors}.
"""
from __future__ import annotations

REPORTS = {
    "prior_vs_midpoint": "ganpriors.report:build_prior_vs_midpoint",
    "stylegenes": "ganpriors.report.stylegenes:build_stylegenes_report",
    "nemgan": "ganpriors.report.nemgan:build_nemgan_report",
    "maemgan": "ganpriors.report.maemgan:build_maemgan_report",
    "mode_coverage": "ganpriors.report.mode_coverage:build_mode_coverage_report",
}

# Studies whose report reads the runs' own outputs (results/runs, results/priors) instead of probes.
READS_RUNS = ("prior_vs_midpoint", "maemgan", "mode_coverage")


def has_probe(study) -> bool:
    return study.kind not in READS_RUNS


def report_outputs(name: str, study) -> list[str]:
    tables, figures = f"results/tables/{name}", f"results/figures/{name}"
    if study.kind == "prior_vs_midpoint":
        names = ["prior_vs_midpoint.csv", "prior_vs_midpoint.md", "prior_vs_midpoint.tex", "all_scores.csv",
                 "prior_kl.md", "prior_kl.csv"]
        figs = ["samples", "interpolations", "fid_vs_lambda", "prior_pmf"]
    elif study.kind == "stylegenes":
        names = ["stylegenes.csv", "stylegenes.md", "stylegenes.tex", "conditional_accuracy.csv",
                 "conditional_accuracy.md", "all_scores.csv"]
        figs = [f"{kind}_{run}" for run in study.runs for kind in ("gene_swap", "class_conditional")]
    elif study.kind == "maemgan":
        names = ["maemgan.csv", "maemgan.md", "maemgan.tex", "all_scores.csv"]
        figs = ["samples", "fid_ablation"]
    elif study.kind == "mode_coverage":
        names = ["mode_coverage.csv", "mode_coverage.md", "mode_coverage.tex", "all_scores.csv"]
        figs = ["training_scatter", "mode_histograms"]
    else:
        names = ["nemgan.csv", "nemgan.md", "nemgan.tex", "mode_prior.csv", "mode_prior.md", "all_scores.csv"]
        figs = ["pi_trajectory"] + [f"modes_{run}" for run in study.runs]
    return [f"{tables}/{n}" for n in names] + [f"{figures}/{f}.png" for f in figs]
