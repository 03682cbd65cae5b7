rule train:
    """One DCGAN per run and seed, on the GPU when there is one."""
    input:
        data=PREPARED,
        prior=PRIOR,
    output:
        generator=f"{RUN_DIR}/generator.safetensors",
        log_csv=f"{RUN_DIR}/train_log.csv",
        summary=f"{RUN_DIR}/train.json",
    params:
        tracked=tracked("train"),
    threads: lambda wildcards: PARAMS.resolve_run(wildcards.run).threads
    log:
        "logs/train/{run}-seed{seed}.log",
    shell:
        "ganpriors train --run {wildcards.run} --seed {wildcards.seed} --data {input.data} --prior {input.prior}"
        " --out-dir results/runs/{wildcards.run}/seed{wildcards.seed} 2> {log}"
