rule probe:
    """A study's own measurements on each of its runs and seeds: for StyleGenes, class information
    per gene (vs per coordinate of the baselines' latents) and conditional sampling from the
    unconditionally trained model; for NEMGAN, the learned mode prior against the true one,
    k-means on the inversion network's latent (purity/NMI/ARI) and mode-conditional accuracy."""
    input:
        generator=rules.train.output.generator,
        log_csv=rules.train.output.log_csv,
        metrics=rules.evaluate.output,
        prior=PRIOR,
        classifier=CLASSIFIER,
        data=PREPARED,
        params_stamp=params_stamp("probe"),
    output:
        multiext(PROBE, json=".json", grids=".safetensors"),
    params:
        tracked=tracked("probe"),
        wildcards=job_wildcards,
    threads: PARAMS.eval.threads
    log:
        "logs/probe/{study}-{run}-seed{seed}.log",
    cache: True
    shell:
        "ganpriors probe --study {wildcards.study} --run {wildcards.run} --seed {wildcards.seed}"
        " --generator {input.generator} --prior {input.prior} --train-log {input.log_csv} --metrics {input.metrics}"
        " --classifier {input.classifier} --data {input.data} --out-json {output.json} --out-grids {output.grids}"
        " 2> {log}"
