rule fit_prior:
    """Each run's latent prior as a file; the non-parametric pmf minimises KL(p || p_mid)
    under the variance floor (parametric families are recorded with their mid-point KL)."""
    input:
        params_stamp=params_stamp("fit_prior"),
    output:
        **stage_outputs("fit_prior"),
    params:
        tracked=tracked("fit_prior"),
        wildcards=job_wildcards,
    log:
        stage_log("fit_prior"),
    cache: True
    shell:
        stage_shell("fit_prior")
