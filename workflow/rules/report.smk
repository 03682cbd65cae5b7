# One report rule per study in params.yaml (report_<study>): tables under results/tables/<study>/,
# figures under results/figures/<study>/. What each study reads and writes is its plugin's
# (ganpriors.studies.<kind>): the runs' outputs, or its probe files only.

for _name in STUDIES:

    rule:
        name:
            f"report_{_name}"
        input:
            **stage_inputs(f"report_{_name}"),
            params_stamp=params_stamp(f"report_{_name}"),
        output:
            **stage_outputs(f"report_{_name}"),
        params:
            tracked=tracked(f"report_{_name}"),
            # The command as a value fixed now: a shell directive is evaluated when the job runs,
            # after this loop has moved on to the last study.
            command=STAGES[f"report_{_name}"].cmd(),
        log:
            stage_log(f"report_{_name}"),
        shell:
            "{params.command} 2> {log}"
