rule train:
    """One GAN per run and seed, on the GPU when there is one: a DCGAN on Fashion-MNIST (or stacked
    Fashion-MNIST), an MLP on the 2-D benchmarks, which draw their own samples (params `dataset`)."""
    input:
        **stage_inputs("train"),
        params_stamp=params_stamp("train"),
    output:
        **stage_outputs("train"),
    params:
        tracked=tracked("train"),
        wildcards=job_wildcards,
    threads: lambda wildcards: RESOLVED_RUNS[wildcards.run].threads
    log:
        stage_log("train"),
    cache: True  # shared between clones through SNAKEMAKE_OUTPUT_CACHE and --cache
    shell:
        stage_shell("train")
