rule fit_prior:
    """Each run's latent prior as a file; the non-parametric pmf minimises KL(p || p_mid)
    under the variance floor (parametric families are recorded with their mid-point KL)."""
    input:
        params_stamp=params_stamp("fit-prior"),
    output:
        multiext("results/priors/{run}/prior", prior=".safetensors", summary=".json"),
    params:
        tracked=tracked("fit-prior"),
        wildcards=job_wildcards,
    log:
        "logs/fit_prior/{run}.log",
    cache: True
    shell:
        "ganpriors fit-prior --run {wildcards.run} --out {output.prior} --summary {output.summary} 2> {log}"
