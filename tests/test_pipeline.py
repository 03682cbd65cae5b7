"""The pipeline description: dvc.yaml is generated from it and must be current; the Snakefile's
imports stay torch-free; adding a run or a study reaches both declarations without a hand edit."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from ganpriors.config import load_params, validate_params
from ganpriors.errors import GanpriorsError
from ganpriors.pipeline import layout
from ganpriors.pipeline.dvc import dvc_yaml
from ganpriors.pipeline.stages import jobs, stages

from conftest import ROOT


def test_committed_dvc_yaml_is_generated_from_params_yaml():
    assert (ROOT / "dvc.yaml").read_text() == dvc_yaml(load_params(ROOT / "params.yaml")), (
        "dvc.yaml is stale: run `ganpriors dvc-yaml` and commit it")


def test_check_command_names_a_stale_dvc_yaml(tmp_path):
    from ganpriors.cli import main

    assert main(["params", "--overlay", str(ROOT / "configs" / "quick.yaml"), "--out", str(tmp_path / "params.yaml")]) == 0
    (tmp_path / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())  # the full study's, not quick's
    assert main(["--params", str(tmp_path / "params.yaml"), "check"]) == 2
    assert main(["--params", str(tmp_path / "params.yaml"), "dvc-yaml", "--out", str(tmp_path / "dvc.yaml")]) == 0
    assert main(["--params", str(tmp_path / "params.yaml"), "check"]) == 0


def _raw():
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_a_new_run_in_a_study_reaches_every_stage_without_editing_dvc_yaml():
    raw = _raw()
    raw["runs"]["laplace_like"] = {"prior": {"kind": "cauchy", "loc": 0.0, "scale": 0.5}}
    raw["studies"]["nonparametric"]["runs"].append("laplace_like")
    params = validate_params(raw)
    cmds = {job.cmd for job in jobs(params)}
    for seed in params.seeds:
        assert any(c.startswith(f"ganpriors train --run laplace_like --seed {seed} ") for c in cmds)
        assert any(c.startswith("ganpriors evaluate ") and f"{layout.run_dir('laplace_like', seed)}/metrics.json" in c
                   for c in cmds)
    text = yaml.safe_load(dvc_yaml(params))
    report = text["stages"]["report_nonparametric"]
    assert "results/runs/laplace_like" in report["deps"] and "results/priors/laplace_like" in report["deps"]
    assert text["stages"]["train"]["matrix"] == {"run": "${runs}", "seed": "${seeds}"}


def test_a_new_study_gets_its_report_and_probe_stages():
    raw = _raw()
    raw["studies"]["stylegenes_small"] = {"kind": "stylegenes", "runs": ["sg_genes"]}
    params = validate_params(raw)
    keys = [s.key for s in stages(params)]
    assert "report_stylegenes_small" in keys
    text = yaml.safe_load(dvc_yaml(params))["stages"]
    assert text["probe_stylegenes_small"]["matrix"] == {"run": "${studies.stylegenes_small.runs}", "seed": "${seeds}"}
    assert text["report_stylegenes_small"]["deps"] == ["results/probes/stylegenes_small",
                                                       ".ganpriors/params/report-stylegenes_small.json"]
    assert text["probe_stylegenes_small"]["deps"][-1] == ".ganpriors/params/probe-stylegenes_small-${item.run}.json"
    outs = [next(iter(o)) for o in text["report_stylegenes_small"]["outs"]]
    assert outs == params.studies["stylegenes_small"].outputs("stylegenes_small")


def test_study_cross_checks_live_with_the_study():
    raw = _raw()
    raw["eval"]["fake"]["lambdas"] = [0.1, 0.25]
    with pytest.raises(GanpriorsError, match=r"studies\.nonparametric: eval\.fake\.lambdas must include 0\.5"):
        validate_params(raw)
    del raw["studies"]["nonparametric"]  # no study reads mid-points: any lambdas will do
    raw["claims"] = {k: v for k, v in raw["claims"].items() if not k.startswith(("np_", "cauchy_"))}  # (they read it)
    validate_params(raw)


def test_the_snakefile_imports_no_torch():
    """Everything workflow/rules/common.smk imports and does at parse time, in a fresh interpreter."""
    code = ("import sys\n"
            "from ganpriors.config import read_yaml, validate_params\n"
            "from ganpriors.pipeline.stages import stages, jobs\n"
            "from ganpriors.pipeline.tracking import stage_params, write_all_params_stamps\n"
            "from ganpriors.pipeline.dvc import dvc_yaml\n"
            f"raw = read_yaml({str(ROOT / 'params.yaml')!r}); params = validate_params(raw)\n"
            "jobs(params); dvc_yaml(params)\n"
            "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch'))[:5]\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_stamp_params_rewrites_only_the_stamps_an_edit_changes(tmp_path, capsys):
    """DVC's stamp_params stage: the files the Snakefile writes (the same function), each rewritten
    only when its content changes, so an edit reruns the stages that read the edited keys and keeps
    every other stamp's bytes and modification time."""
    from ganpriors.cli import main
    from ganpriors.pipeline.tracking import write_all_params_stamps

    params, out = tmp_path / "params.yaml", tmp_path / "stamps"
    params.write_text((ROOT / "params.yaml").read_text())
    assert main(["--params", str(params), "stamp-params", "--out-dir", str(out)]) == 0
    # One stamp per distinct params of a stage: download, classifier, real-features, evaluate (4); fit-prior
    # and train per run (2 x 46); probe per study and run (25); report and summarise per study (2 x 6); claims.
    assert "134 of the stage params stamps changed" in capsys.readouterr().out
    snakefile_view = tmp_path / "snakefile"
    write_all_params_stamps(_raw(), load_params(ROOT / "params.yaml"), snakefile_view)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {p.name: p.read_bytes() for p in snakefile_view.iterdir()}

    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    text = params.read_text()
    old = "    prior: {kind: cauchy, loc: 0.0, scale: 1.0}"
    assert old in text
    params.write_text(text.replace(old, old.replace("scale: 1.0", "scale: 2.0"), 1))
    assert main(["--params", str(params), "stamp-params", "--out-dir", str(out)]) == 0
    assert "2 of the stage params stamps changed" in capsys.readouterr().out
    changed = {p.name for p in out.iterdir() if p.stat().st_mtime_ns != before[p.name]}
    assert changed == {"fit-prior-cauchy.json", "train-cauchy.json"}
    assert json.loads((out / "fit-prior-cauchy.json").read_text())["runs.cauchy.prior"]["scale"] == 2.0
