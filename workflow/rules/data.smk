rule download:
    """The dataset's files from the first source (local folder or mirror) that passes SHA-256 verification."""
    input:
        params_stamp=params_stamp("download"),
    output:
        **stage_outputs("download"),
    params:
        tracked=tracked("download"),
    log:
        stage_log("download"),
    shell:
        stage_shell("download")


rule prepare:
    """IDX -> uint8 N x 1 x 28 x 28 images and labels, train and test splits."""
    input:
        **stage_inputs("prepare"),
    output:
        **stage_outputs("prepare"),
    params:
        tracked=tracked("prepare"),
    log:
        stage_log("prepare"),
    shell:
        stage_shell("prepare")
