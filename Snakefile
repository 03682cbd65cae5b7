# Reproduce studies of GAN latent priors on Fashion-MNIST (params.yaml `studies`):
#   nonparametric  Singh et al., ICML 2019: does a prior whose mid-points follow the prior keep
#                  its quality along interpolations?
#   stylegenes     Ntavelis et al., 2023: learnable gene banks vs a Normal prior and a mapping MLP
#                  of equal size; conditional sampling from an unconditional model
#   nemgan         Mishra et al.: mode-matching GAN with learned mode priors on imbalanced data
#   maemgan        Liu et al., AAAI 2023: an embedding discriminator with the RB-MaEM, DLLE and
#                  DIsoMap regularisers added one at a time, against DCGAN and WGAN-GP
#   mode_coverage  ring of 8 and 5 x 5 grid of 2-D Gaussians, stacked Fashion-MNIST (1000 modes):
#                  modes covered by the GAN, WGAN-GP and MaEM-GAN
# The whole pipeline is declared in workflow/rules/*.smk, read in order:
#
#   data.smk      download (verified mirrors) -> prepare (uint8 tensors)
#   priors.smk    fit-prior: one prior file per run; the non-parametric pmf is fitted here
#   train.smk     train: one GAN per run and seed (prior, data, losses and regularisers from params)
#   evaluate.smk  classifier (evaluation features) -> real-features -> evaluate (IS/FID/KID/PR/
#                 I-Variance on prior samples and interpolations; modes covered on a benchmark)
#   probes.smk    probe: each study's own measurements on each of its runs and seeds
#   report.smk    report_<study>: results/tables/<study>/ and results/figures/<study>/;
#                 summarise_<study>: results/metrics/<study>.json (DVC metrics) and plot data
#
# Every rule runs one `ganpriors <stage>` command. Commands, paths and params keys come from one
# description (src/ganpriors/pipeline/stages.py), from which dvc.yaml is generated as well.
# Settings live in params.yaml only; edit it and rerun `snakemake --cores all`.

configfile: "params.yaml"
report: "workflow/report/workflow.rst"  # `snakemake --report report.html`: every study's tables and figures


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/priors.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/probes.smk"
include: "workflow/rules/report.smk"


rule all:
    """Every study's report and summary, the claims table, and every run's scores (a run in no study is
    trained too, as by DVC)."""
    input:
        [list(stage_outputs(f"{stage}_{name}").values()) for name in STUDIES for stage in ("report", "summarise")],
        list(stage_outputs("claims").values()) if "claims" in STAGES else [],
        expand(layout.METRICS, run=RUNS, seed=SEEDS),
