# One report rule per study in params.yaml (report_<study>): tables under results/tables/<study>/,
# figures under results/figures/<study>/ (ganpriors.studies lists them per kind of study).


def study_inputs(name, study):
    runs = study.runs
    if not has_probe(study):
        # prior_vs_midpoint (Singh et al.): IS/FID on prior samples vs mid-points, the paper's CelebA
        # numbers beside; figures: samples, interpolations through the origin, FID against lambda,
        # the fitted pmf against the parametric densities.
        # maemgan (Liu et al.): FID/KID/IS/precision/recall/I-Variance of the regulariser ablation.
        # mode_coverage: modes covered, high-quality share and KL to uniform on the benchmarks;
        # figures: samples over training (2-D), mode histograms.
        inputs = {
            "metrics": expand(f"{RUN_DIR}/metrics.json", run=runs, seed=SEEDS),
            "generators": expand(f"{RUN_DIR}/generator.safetensors", run=runs, seed=SEEDS),
            "priors": expand(PRIOR, run=runs),
            "summaries": expand("results/priors/{run}/prior.json", run=runs),
        }
        if study.kind != "prior_vs_midpoint":
            inputs["train_summaries"] = expand(f"{RUN_DIR}/train.json", run=runs, seed=SEEDS)
        return inputs
    return {"probes": expand(PROBE + ".{ext}", study=name, run=runs, seed=SEEDS, ext=["json", "safetensors"])}


def report_inputs_args(name, study):
    if not has_probe(study):
        return "--runs-dir results/runs --priors-dir results/priors"
    return f"--probes-dir results/probes/{name}"


for _name, _study in STUDIES.items():

    rule:
        name:
            f"report_{_name}"
        input:
            **study_inputs(_name, _study),
            params_stamp=params_stamp("report", study=_name),
        output:
            report_outputs(_name, _study),
        params:
            tracked=tracked("report", study=_name),
            # Values fixed now: a shell command is formatted when the job runs, after the loop.
            study=_name,
            inputs=report_inputs_args(_name, _study),
        log:
            f"logs/report_{_name}.log",
        shell:
            "ganpriors report --study {params.study} {params.inputs} --tables-dir results/tables/{params.study}"
            " --figures-dir results/figures/{params.study} 2> {log}"
