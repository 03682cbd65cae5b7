rule download:
    """The four Fashion-MNIST IDX files from the first mirror that passes SHA-256 verification."""
    input:
        params_stamp=params_stamp("download"),
    output:
        expand(f"{RAW_DIR}/{{name}}", name=RAW_FILES),
    params:
        tracked=tracked("download"),
    log:
        "logs/download.log",
    shell:
        f"ganpriors download --out-dir {RAW_DIR} 2> {{log}}"


rule prepare:
    """IDX -> uint8 N x 1 x 28 x 28 images and labels, train and test splits."""
    input:
        rules.download.output,
    output:
        PREPARED,
    params:
        tracked=tracked("prepare"),
    log:
        "logs/prepare.log",
    shell:
        f"ganpriors prepare --raw-dir {RAW_DIR} --out {{output}} 2> {{log}}"
