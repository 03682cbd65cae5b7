REPORT_TABLES = expand("results/tables/{name}", name=[
    "prior_vs_midpoint.csv", "prior_vs_midpoint.md", "prior_vs_midpoint.tex", "all_scores.csv",
    "prior_kl.md", "prior_kl.csv"])
REPORT_FIGURES = expand("results/figures/{name}.png", name=[
    "samples", "interpolations", "fid_vs_lambda", "prior_pmf"])


rule report:
    """The paper's table (IS/FID on prior samples vs mid-points, mean and spread over seeds, paper's
    CelebA numbers beside) and figures: samples, interpolations through the origin, FID against
    lambda, and the fitted pmf against the parametric densities."""
    input:
        metrics=expand(f"{RUN_DIR}/metrics.json", run=RUNS, seed=SEEDS),
        generators=expand(f"{RUN_DIR}/generator.safetensors", run=RUNS, seed=SEEDS),
        priors=expand(PRIOR, run=RUNS),
        summaries=expand("results/priors/{run}/prior.json", run=RUNS),
        params_stamp=params_stamp("report"),
    output:
        REPORT_TABLES + REPORT_FIGURES,
    params:
        tracked=tracked("report"),
    log:
        "logs/report.log",
    shell:
        "ganpriors report --runs-dir results/runs --priors-dir results/priors --tables-dir results/tables"
        " --figures-dir results/figures 2> {log}"
