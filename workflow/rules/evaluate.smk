rule classifier:
    """The evaluation feature extractor: a CNN trained on the training split (>= 90% test accuracy),
    registered with torch-fidelity in place of Inception."""
    input:
        **stage_inputs("classifier"),
        params_stamp=params_stamp("classifier"),
    output:
        **stage_outputs("classifier"),
    params:
        tracked=tracked("classifier"),
    threads: PARAMS.classifier.threads
    log:
        stage_log("classifier"),
    cache: True
    shell:
        stage_shell("classifier")


rule real_features:
    """Features of the real reference split, computed once and shared by every run."""
    input:
        **stage_inputs("real_features"),
        params_stamp=params_stamp("real_features"),
    output:
        **stage_outputs("real_features"),
    params:
        tracked=tracked("real_features"),
    threads: PARAMS.eval.threads
    log:
        stage_log("real_features"),
    cache: True
    shell:
        stage_shell("real_features")


rule evaluate:
    """IS, FID, KID, precision/recall and I-Variance on prior samples and on G((1 - lambda) z1 + lambda z2);
    runs trained on a view of the data are compared with the test split under the same view; runs
    on a mode-coverage benchmark get its own scores (modes covered, high-quality share, KL)."""
    input:
        **stage_inputs("evaluate"),
        params_stamp=params_stamp("evaluate"),
    output:
        **stage_outputs("evaluate"),
    params:
        tracked=tracked("evaluate"),
        wildcards=job_wildcards,
    threads: PARAMS.eval.threads
    log:
        stage_log("evaluate"),
    cache: True
    shell:
        stage_shell("evaluate")
