rule train:
    """One GAN per run and seed, on the GPU when there is one: a DCGAN on Fashion-MNIST (or stacked
    Fashion-MNIST), an MLP on the 2-D benchmarks, which draw their own samples (params `dataset`)."""
    input:
        data=PREPARED,
        prior=PRIOR,
        params_stamp=params_stamp("train"),
    output:
        multiext(f"{RUN_DIR}/", generator="generator.safetensors", log_csv="train_log.csv", summary="train.json"),
    params:
        tracked=tracked("train"),
        wildcards=job_wildcards,
    threads: lambda wildcards: PARAMS.resolve_run(wildcards.run).threads
    log:
        "logs/train/{run}-seed{seed}.log",
    cache: True  # shared between clones through SNAKEMAKE_OUTPUT_CACHE and --cache
    shell:
        "ganpriors train --run {wildcards.run} --seed {wildcards.seed} --data {input.data} --prior {input.prior}"
        " --out-dir results/runs/{wildcards.run}/seed{wildcards.seed} 2> {log}"
