rule classifier:
    """The evaluation feature extractor: a CNN trained on the training split (>= 90% test accuracy),
    registered with torch-fidelity in place of Inception."""
    input:
        data=PREPARED,
        params_stamp=params_stamp("classifier"),
    output:
        multiext("results/classifier/", weights="classifier.safetensors", metrics="metrics.json"),
    params:
        tracked=tracked("classifier"),
    threads: PARAMS.classifier.threads
    log:
        "logs/classifier.log",
    cache: True
    shell:
        "ganpriors classifier --data {input.data} --out {output.weights} --metrics {output.metrics}"
        " 2> {log}"


rule real_features:
    """Features of the real reference split, computed once and shared by every run."""
    input:
        data=PREPARED,
        classifier=CLASSIFIER,
        params_stamp=params_stamp("real-features"),
    output:
        REAL_FEATURES,
    params:
        tracked=tracked("real-features"),
    threads: PARAMS.eval.threads
    log:
        "logs/real_features.log",
    cache: True
    shell:
        "ganpriors real-features --data {input.data} --classifier {input.classifier} --out {output}"
        " 2> {log}"


rule evaluate:
    """IS, FID, KID, precision/recall and I-Variance on prior samples and on G((1 - lambda) z1 + lambda z2);
    runs trained on a view of the data are compared with the test split under the same view; runs
    on a mode-coverage benchmark get its own scores (modes covered, high-quality share, KL)."""
    input:
        generator=rules.train.output.generator,
        prior=PRIOR,
        summary=rules.train.output.summary,
        real=REAL_FEATURES,
        classifier=CLASSIFIER,
        data=PREPARED,
        params_stamp=params_stamp("evaluate"),
    output:
        f"{RUN_DIR}/metrics.json",
    params:
        tracked=tracked("evaluate"),
        wildcards=job_wildcards,
    threads: PARAMS.eval.threads
    log:
        "logs/evaluate/{run}-seed{seed}.log",
    cache: True
    shell:
        "ganpriors evaluate --seed {wildcards.seed} --generator {input.generator} --prior {input.prior}"
        " --train-summary {input.summary} --real-features {input.real} --classifier {input.classifier}"
        " --data {input.data} --out {output} 2> {log}"
