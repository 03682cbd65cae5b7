rule fit_prior:
    """Each run's latent prior as a file; the non-parametric pmf minimises KL(p || p_mid)
    under the variance floor (parametric families are recorded with their mid-point KL)."""
    output:
        prior=PRIOR,
        summary="results/priors/{run}/prior.json",
    params:
        tracked=tracked("fit-prior"),
    log:
        "logs/fit_prior/{run}.log",
    shell:
        "ganpriors fit-prior --run {wildcards.run} --out {output.prior} --summary {output.summary} 2> {log}"
