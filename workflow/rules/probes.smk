if PROBED_STUDIES:

    rule probe:
        """A study's own measurements on each of its runs and seeds: for StyleGenes, class information
        per gene (vs per coordinate of the baselines' latents) and conditional sampling from the
        unconditionally trained model; for NEMGAN, the learned mode prior against the true one,
        k-means on the inversion network's latent (purity/NMI/ARI) and mode-conditional accuracy."""
        input:
            **stage_inputs("probe"),
            params_stamp=params_stamp("probe"),
        output:
            **stage_outputs("probe"),
        params:
            tracked=tracked("probe"),
            wildcards=job_wildcards,
        threads: PARAMS.eval.threads
        log:
            stage_log("probe"),
        cache: True
        shell:
            stage_shell("probe")
