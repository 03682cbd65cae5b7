# Reproduce "Non-parametric priors for generative adversarial networks" (Singh et al., ICML 2019)
# on Fashion-MNIST. The whole study is declared in workflow/rules/*.smk, read in order:
#
#   data.smk      download (verified mirrors) -> prepare (uint8 tensors)
#   priors.smk    fit-prior: one prior file per run; the non-parametric pmf is fitted here
#   train.smk     train: one DCGAN per run and seed; the runs differ only in the prior
#   evaluate.smk  classifier (evaluation features) -> real-features -> evaluate (IS/FID/KID/PR on
#                 prior samples and interpolations)
#   report.smk    report: results/tables/prior_vs_midpoint.* and results/figures/*
#
# Every rule calls one `ganpriors <stage>` command, exactly as dvc.yaml does.
# Settings live in params.yaml only; edit it and rerun `snakemake --cores all`.

configfile: "params.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/priors.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        rules.report.output,
