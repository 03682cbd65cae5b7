# One report rule per study in params.yaml (report_<study>): tables under results/tables/<study>/,
# figures under results/figures/<study>/. What each study reads and writes is its plugin's
# (ganpriors.studies.<kind>): the runs' outputs, or its probe files only. Then summarise_<study>:
# its headline numbers (results/metrics/<study>.json, DVC's metrics) and plot data, from its tables.
# Every output is in `snakemake --report report.html`, under its study, with a caption from
# workflow/report/<kind>/ that names the protocol it was measured with.

for _name in STUDIES:

    rule:
        name:
            f"report_{_name}"
        input:
            **stage_inputs(f"report_{_name}"),
            params_stamp=params_stamp(f"report_{_name}"),
        output:
            **in_report(f"report_{_name}"),
        params:
            tracked=tracked(f"report_{_name}"),
            # The command as a value fixed now: a shell directive is evaluated when the job runs,
            # after this loop has moved on to the last study.
            command=STAGES[f"report_{_name}"].cmd(),
            protocol=PROTOCOL,
        log:
            stage_log(f"report_{_name}"),
        shell:
            "{params.command} 2> {log}"

    rule:
        name:
            f"summarise_{_name}"
        input:
            **stage_inputs(f"summarise_{_name}"),
            params_stamp=params_stamp(f"summarise_{_name}"),
        output:
            **in_report(f"summarise_{_name}"),
        params:
            tracked=tracked(f"summarise_{_name}"),
            command=STAGES[f"summarise_{_name}"].cmd(),
            protocol=PROTOCOL,
        log:
            stage_log(f"summarise_{_name}"),
        shell:
            "{params.command} 2> {log}"


# The claims table: every paper's claim of params `claims`, its rule and its verdict, from the
# studies' committed tables only (results/tables/claims.{csv,md,tex}).
if "claims" in STAGES:

    rule claims:
        input:
            **stage_inputs("claims"),
            params_stamp=params_stamp("claims"),
        output:
            **{name: report(path, caption="../../workflow/report/common/claims.rst", category="claims")
               for name, path in stage_outputs("claims").items()},
        params:
            tracked=tracked("claims"),
            protocol=PROTOCOL,
        log:
            stage_log("claims"),
        shell:
            stage_shell("claims")
