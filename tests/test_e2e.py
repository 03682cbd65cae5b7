"""The quick configuration end to end through Snakemake and through DVC, in temporary copies of
the repository, and the incremental-rerun guarantees of both tools."""
from __future__ import annotations

import json
import math
import re
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ganpriors.config import STAGE_PARAMS

from conftest import ROOT, clone_workspace, dvc_study_stages, needs_dataset, run
from pipeline_views import snakemake_params_from_metadata
from test_parity import placeholders

sys.path.insert(0, str(ROOT / "tests" / "expected"))
from regenerate import without_environment  # noqa: E402  (one definition, shared with the reproduction check)

pytestmark = [pytest.mark.e2e, needs_dataset]

TABLES = ["nonparametric/prior_vs_midpoint.csv", "nonparametric/prior_vs_midpoint.md", "nonparametric/prior_vs_midpoint.tex",
          "nonparametric/all_scores.csv", "nonparametric/prior_kl.md", "nonparametric/prior_kl.csv"]
FIGURES = ["nonparametric/samples.png", "nonparametric/interpolations.png", "nonparametric/fid_vs_lambda.png",
           "nonparametric/prior_pmf.png"]


def outputs(ws: Path) -> list[Path]:
    return sorted(p.relative_to(ws) for p in (ws / "results").rglob("*") if p.is_file()) + sorted(
        p.relative_to(ws) for p in (ws / "data").rglob("*") if p.is_file())


def comparable(path: Path):
    """A file's bytes (no output holds a wall-clock time: ganpriors.timings); a JSON file without its
    "environment" record, which differs between the tools by design: Snakemake sets OMP_NUM_THREADS
    and friends per job (recorded as the thread environment and NumPy's BLAS threads), DVC does not."""
    if path.suffix == ".json":
        return without_environment(json.loads(path.read_text()))
    return path.read_bytes()


def test_snakemake_quick_run_produces_the_study(snakemake_workspace):
    ws = snakemake_workspace
    for name in TABLES:
        assert (ws / "results/tables" / name).stat().st_size > 0
    for name in FIGURES:
        assert (ws / "results/figures" / name).read_bytes()[:4] == b"\x89PNG"
    table = pd.read_csv(ws / "results/tables/nonparametric/prior_vs_midpoint.csv")
    assert list(table["prior"]) == ["uniform", "normal", "gamma", "cauchy", "nonparametric"]
    assert (table["seeds"] == 2).all()
    for col in ["IS prior mean", "IS mid-point mean", "FID prior mean", "FID mid-point mean"]:
        assert table[col].notna().all() and (table[col] > 0).all()
    metrics = json.loads((ws / "results/runs/cauchy/seed1/metrics.json").read_text())
    protocol = metrics["protocol"]
    assert protocol["split"] == "test" and protocol["n_real"] == 500 and protocol["n_fake"] == 200
    assert protocol["feature_extractor"].startswith("ganpriors-classifier")
    assert len(protocol["feature_extractor_weights_sha256"]) == 64 and protocol["run_seed"] == 1
    assert set(metrics["scores"]) == {"prior", "lambda_0.25", "lambda_0.5"}
    assert set(metrics["scores"]["prior"]) >= {"fid", "kid", "is", "precision", "recall"}
    logs = pd.read_csv(ws / "results/runs/normal/seed0/train_log.csv")
    assert list(logs["step"]) == [10, 20, 30]
    assert (ws / "logs/train/normal-seed0.log").exists()


def test_snakemake_quick_run_produces_the_stylegenes_and_nemgan_studies(snakemake_workspace):
    from ganpriors.config import load_params
    from ganpriors.studies import report_outputs

    ws = snakemake_workspace
    params = load_params(ws / "params.yaml")
    for name in ("stylegenes", "nemgan"):
        for out in report_outputs(name, params.studies[name]):
            data = (ws / out).read_bytes()
            assert data[:4] == b"\x89PNG" if out.endswith(".png") else len(data) > 0, out
    genes = pd.read_csv(ws / "results/tables/stylegenes/stylegenes.csv")
    assert list(genes["run"]) == ["sg_normal", "sg_mapping", "sg_genes"] and (genes["seeds"] == 2).all()
    assert list(genes["latent parameters"]) == [0, 280, 128]  # 8 x 16 gene entries; 16-8-16 MLP
    assert genes["fid mean"].notna().all() and genes["mean_conditional_accuracy mean"].between(0, 1).all()
    probe = json.loads((ws / "results/probes/stylegenes/sg_genes/seed1.json").read_text())
    assert probe["probe"]["units"] == "genes" and len(probe["probe"]["unit_information"]) == 4
    assert len(probe["probe"]["conditional_accuracy"]) == 10 and probe["scores"]["prior"]["fid"] > 0

    nemgan = pd.read_csv(ws / "results/tables/nemgan/nemgan.csv")
    assert list(nemgan["run"]) == params.studies["nemgan"].runs and (nemgan["seeds"] == 2).all()
    for col in ("k-means purity", "NMI", "ARI"):
        assert col in open(ws / "results/tables/nemgan/nemgan.md").read()
    assert nemgan["purity mean"].between(0, 1).all() and nemgan["pi_l1 mean"].notna().all()
    # the table's purity is the mean over seeds of each probe's k-means purity (rounded to the
    # report's decimals), not another column
    for run_name, table_purity in zip(nemgan["run"], nemgan["purity mean"]):
        seeds = [json.loads((ws / f"results/probes/nemgan/{run_name}/seed{seed}.json").read_text()) for seed in (0, 1)]
        assert table_purity == pytest.approx(sum(p["probe"]["clustering"]["purity"] for p in seeds) / 2, abs=0.0051)
    # 6000 training images per class resampled to 80:20 keep 6000 and 1500: the probe's true pi is the view's
    twoclass = json.loads((ws / "results/probes/nemgan/nemgan_p_twoclass/seed0.json").read_text())
    assert twoclass["probe"]["prior"]["true_pi"] == pytest.approx([0.8, 0.2], abs=1e-9)
    log = pd.read_csv(ws / "results/runs/nemgan_p_twoclass/seed0/train_log.csv")
    assert {"match_z", "match_mode", "sup", "prior_kl", "pi_0", "pi_1"} <= set(log.columns)
    assert math.isnan(log["prior_kl"].iloc[0])  # the prior update waits for the warm-up
    assert not math.isnan(log["prior_kl"].iloc[-1])  # ... and then runs
    assert log["pi_0"].iloc[-1] != 0.5  # and the learned pi has moved from the equiprobable start
    fixed = pd.read_csv(ws / "results/runs/nemgan_twoclass/seed0/train_log.csv")
    assert (fixed["pi_0"] == 0.5).all()  # the ablation's modes stay equiprobable
    metrics = json.loads((ws / "results/runs/nemgan_p_twoclass/seed0/metrics.json").read_text())
    # FID of a run trained on a view is computed against the test split under the same view
    assert metrics["protocol"]["view"]["proportions"] == [0.8, 0.2] and metrics["protocol"]["n_real"] == 500


def test_snakemake_recorded_the_declared_params_keys(snakemake_workspace):
    recorded = snakemake_params_from_metadata(snakemake_workspace)
    # download, prepare, classifier, real-features, 3 reports and 3 summaries; 12 runs: fit-prior, 2
    # seeds of train and evaluate; 7 runs of the probed studies: 2 seeds of probe
    assert len(recorded) == 4 + 3 + 3 + 12 + 24 + 24 + 14
    for cmd, keys in recorded.items():
        expected = {k.format(**placeholders(cmd)) for k in STAGE_PARAMS[cmd.split()[1]]}
        assert keys == expected, cmd


def test_dvc_and_snakemake_write_the_same_files(snakemake_workspace, dvc_workspace):
    smk, dvc = outputs(snakemake_workspace), outputs(dvc_workspace)
    assert smk == dvc
    assert len(smk) > 50
    # DVC recomputed DVC_RECOMPUTED (the fixture checks that they ran); the rest it adopted.
    different = [str(p) for p in smk if comparable(snakemake_workspace / p) != comparable(dvc_workspace / p)]
    assert not different, different
    assert "Data and pipelines are up to date." in run(["dvc", "status", "--with-deps", *dvc_study_stages(dvc_workspace)],
                                                       dvc_workspace).stdout


# --- where users look for results: the Snakemake report, DVC metrics and plots ---------------


def study_outputs(ws: Path) -> dict[str, list[str]]:
    """study -> every output of its report and summarise stages (the pipeline description's)."""
    from ganpriors.config import load_params
    from ganpriors.pipeline.stages import stages

    out = {}
    for stage in stages(load_params(ws / "params.yaml")):
        if stage.command in ("report", "summarise"):
            out.setdefault(stage.fixed["study"], []).extend(stage.format(p) for p in stage.outs.values())
    return out


def test_snakemake_report_holds_every_study_output_with_its_caption(snakemake_workspace, tmp_path):
    import zipfile

    from ganpriors.config import load_params
    from ganpriors.pipeline.report import protocol, report_section

    report = tmp_path / "report.zip"
    run(["snakemake", "--report", str(report)], snakemake_workspace)
    with zipfile.ZipFile(report) as z:
        html = z.read("report/report.html").decode()
        files = sorted(n.rsplit("/", 1)[1] for n in z.namelist() if "/data/raw/" in n)
    # The report's index: study (category) -> what the file is (subcategory) -> the files.
    categories, _ = json.JSONDecoder().raw_decode(html[html.index("categories = ") + len("categories = "):])
    outputs = study_outputs(snakemake_workspace)
    expected = {}
    for study, paths in outputs.items():
        for path in paths:
            expected.setdefault(study, {}).setdefault(report_section(path), []).append(path)
    assert categories == {study: {section: sorted(paths) for section, paths in sections.items()}
                          for study, sections in expected.items()}
    assert set(expected) == {"nonparametric", "stylegenes", "nemgan"}
    assert files == sorted(Path(p).name for paths in outputs.values() for p in paths)  # each file, embedded
    # Every file has its caption, and those with scores end with the workspace's protocol line.
    line = protocol(load_params(snakemake_workspace / "params.yaml"))
    assert "pinned weights fashion-mnist-v1" in line and "seeds 0, 1" in line
    for paths in outputs.values():
        for path in paths:
            entry, _ = json.JSONDecoder().raw_decode(html[html.index(f'"{path}": {{') + len(path) + 4:])
            assert len(entry["caption"]) > 50, path  # (the shortest, a sample grid's, is one sentence)
            if path.endswith(("all_scores.csv", ".json")) or "prior_vs_midpoint" in path:
                assert line.replace("'", "&#x27;") in entry["caption"] or line in entry["caption"], path


def test_dvc_metrics_and_plots_show_every_study(dvc_workspace):
    from ganpriors.pipeline import layout

    shown = json.loads(run(["dvc", "metrics", "show", "--json"], dvc_workspace).stdout)
    files = {path: entry["data"] for rev in shown.values() for path, entry in rev["data"].items()}
    for study in ("nonparametric", "stylegenes", "nemgan"):
        path = layout.study_metrics(study)
        assert files[path] == json.loads((dvc_workspace / path).read_text())
    assert files[layout.study_metrics("nonparametric")]["runs"]["normal"]["fid_prior"]["mean"] > 0
    assert 0 <= files[layout.study_metrics("nemgan")]["runs"]["nemgan_p_twoclass"]["pi_l1"]["mean"] <= 2

    plots = json.loads(run(["dvc", "plots", "show", "--json"], dvc_workspace).stdout)["data"]
    ids = set(plots)
    expected = {"nonparametric/fid_vs_lambda", "nonparametric/training_losses", "stylegenes/training_losses",
                "nemgan/training_losses", "nemgan/mode_prior_pi"}
    assert expected <= ids, sorted(ids)
    figures = {p for paths in study_outputs(dvc_workspace).values() for p in paths if p.endswith(".png")}
    assert figures <= ids, sorted(figures - ids)
    # The curves compare across runs: one series per run's log and column (DVC names a series by the
    # files' distinct part and the column).
    from ganpriors.config import load_params

    runs = load_params(dvc_workspace / "params.yaml").studies["nonparametric"].runs
    values = plots["nonparametric/training_losses"][0]["content"]["data"]["values"]
    assert {v["filename::field"] for v in values} == {f"{r}/seed0/train_log.csv::{c}" for r in runs
                                                      for c in ("loss_d", "loss_g")}


# --- incremental reruns --------------------------------------------------------------------


def edit_params(ws: Path, old: str, new: str) -> None:
    text = (ws / "params.yaml").read_text()
    assert old in text, old
    (ws / "params.yaml").write_text(text.replace(old, new, 1))


def snakemake_executed(ws: Path, targets: list[str] = ()) -> set[str]:
    proc = run(["snakemake", "--cores", "all", *targets], ws)
    log = proc.stdout + proc.stderr
    jobs = set()
    for block in re.split(r"\n(?=\[[^\]]+\]\n)", log):
        rule = re.search(r"^(?:local)?rule (\w+):", block, re.M)
        if rule and rule.group(1) != "all":
            wc = re.search(r"wildcards: (.*)", block)
            jobs.add(rule.group(1) + (f"[{wc.group(1)}]" if wc else ""))
    return jobs


def dvc_executed(ws: Path) -> set[str]:
    proc = run(["dvc", "repro", *dvc_study_stages(ws)], ws)
    return set(re.findall(r"Running stage '([^']+)'", proc.stdout + proc.stderr))


CAUCHY_OLD = "    prior: {kind: cauchy, loc: 0.0, scale: 1.0}"
CAUCHY_NEW = "    prior: {kind: cauchy, loc: 0.0, scale: 2.0}"
# A run of another study: its edit must rerun its own jobs and that study's report only.
GENES_OLD = "    prior: {kind: gene_bank, genes: 4, variants: 8, init_std: 1.0}"
GENES_NEW = "    prior: {kind: gene_bank, genes: 4, variants: 6, init_std: 1.0}"
REORDERED = ("report:\n  sample_grid: 4\n  interp_steps: 5", "report:\n  interp_steps: 5\n  sample_grid: 4")


def test_snakemake_reruns_exactly_what_an_edit_affects(snakemake_workspace, tmp_path):
    ws = clone_workspace(snakemake_workspace, tmp_path / "edited")
    edit_params(ws, CAUCHY_OLD, CAUCHY_NEW)
    edit_params(ws, GENES_OLD, GENES_NEW)
    assert snakemake_executed(ws) == {
        "fit_prior[run=cauchy]", "train[run=cauchy, seed=0]", "train[run=cauchy, seed=1]",
        "evaluate[run=cauchy, seed=0]", "evaluate[run=cauchy, seed=1]", "report_nonparametric",
        "fit_prior[run=sg_genes]", "train[run=sg_genes, seed=0]", "train[run=sg_genes, seed=1]",
        "evaluate[run=sg_genes, seed=0]", "evaluate[run=sg_genes, seed=1]",
        "probe[study=stylegenes, run=sg_genes, seed=0]", "probe[study=stylegenes, run=sg_genes, seed=1]",
        "report_stylegenes", "summarise_nonparametric", "summarise_stylegenes"}
    # A report setting: the reports, then (their tables being newer) the summaries.
    edit_params(ws, "  decimals: 3", "  decimals: 2")
    assert snakemake_executed(ws) == {"report_nonparametric", "report_stylegenes", "report_nemgan",
                                      "summarise_nonparametric", "summarise_stylegenes", "summarise_nemgan"}
    edit_params(ws, *REORDERED)
    edit_params(ws, CAUCHY_NEW, "    prior: {scale: 2.0, loc: 0.0, kind: cauchy}")
    assert snakemake_executed(ws) == set()


def test_dvc_reruns_exactly_what_an_edit_affects(dvc_workspace, tmp_path):
    ws = clone_workspace(dvc_workspace, tmp_path / "edited")
    edit_params(ws, CAUCHY_OLD, CAUCHY_NEW)
    edit_params(ws, GENES_OLD, GENES_NEW)
    # stamp_params (DVC's only reader of params.yaml) reruns on any edit and rewrites the stamps
    # whose content changed; through them, exactly the affected stages rerun.
    assert dvc_executed(ws) == {"stamp_params",
                                "fit_prior@cauchy", "train@cauchy-0", "train@cauchy-1", "evaluate@cauchy-0",
                                "evaluate@cauchy-1", "report_nonparametric",
                                "fit_prior@sg_genes", "train@sg_genes-0", "train@sg_genes-1", "evaluate@sg_genes-0",
                                "evaluate@sg_genes-1", "probe_stylegenes@sg_genes-0", "probe_stylegenes@sg_genes-1",
                                "report_stylegenes", "summarise_nonparametric", "summarise_stylegenes"}
    # A report setting: the reports; DVC compares the tables' content, and the CSV tables the
    # summaries read do not round (only the Markdown and LaTeX ones do), so no summary reruns.
    edit_params(ws, "  decimals: 3", "  decimals: 2")
    assert dvc_executed(ws) == {"stamp_params", "report_nonparametric", "report_stylegenes", "report_nemgan"}
    edit_params(ws, *REORDERED)
    edit_params(ws, CAUCHY_NEW, "    prior: {scale: 2.0, loc: 0.0, kind: cauchy}")
    assert dvc_executed(ws) == set()
    assert "Data and pipelines are up to date." in run(["dvc", "status", "--with-deps", *dvc_study_stages(ws)], ws).stdout

    # The same through `dvc exp run -S` (an experiment on a commit of the workspace): exactly the
    # edited run's stages and its study's report, and `dvc exp show` lists the edited value.
    run(["git", "add", "-A"], ws)
    run(["git", "commit", "-qm", "quick study, edited"], ws)
    proc = run(["dvc", "exp", "run", "-S", "runs.cauchy.prior.scale=3.0"], ws)
    assert set(re.findall(r"Running stage '([^']+)'", proc.stdout + proc.stderr)) == {
        "stamp_params", "fit_prior@cauchy", "train@cauchy-0", "train@cauchy-1", "evaluate@cauchy-0", "evaluate@cauchy-1",
        "report_nonparametric", "summarise_nonparametric"}
    diff = json.loads(run(["dvc", "params", "diff", "--json"], ws).stdout)["params.yaml"]
    assert list(diff) == ["runs.cauchy.prior.scale"], diff  # the edited key, and only it
    assert (diff["runs.cauchy.prior.scale"]["old"], diff["runs.cauchy.prior.scale"]["new"]) == (2.0, 3.0), diff
    shown = json.loads(run(["dvc", "exp", "show", "--json"], ws).stdout)
    revs = [rev for entry in shown for exp in (entry.get("experiments") or []) for rev in exp["revs"]]
    values = [rev["data"]["params"]["params.yaml"]["data"]["runs"]["cauchy"]["prior"]["scale"] for rev in revs]
    assert 3.0 in values, values
    # ... and, beside it, the study's metrics of the experiment: Cauchy's FID is the variant's own.
    exp = revs[values.index(3.0)]
    fid = exp["data"]["metrics"]["results/metrics/nonparametric.json"]["data"]["runs"]["cauchy"]["fid_prior"]["mean"]
    # (`dvc exp run` leaves the experiment's files in the workspace: compare with the commit's.)
    committed = run(["git", "show", "HEAD:results/metrics/nonparametric.json"], ws).stdout
    base = json.loads(committed)["runs"]["cauchy"]["fid_prior"]["mean"]
    assert fid != base and math.isfinite(fid)
    assert fid == json.loads((ws / "results/metrics/nonparametric.json").read_text())["runs"]["cauchy"]["fid_prior"]["mean"]


def test_dvc_queue_sweeps_variants_with_two_workers(dvc_workspace, tmp_path):
    """`dvc exp run --queue -S ...` then `dvc queue start -j 2`: two variants of a run, each in a
    worker of its own, each rerunning exactly the edited run's stages (the rest is checked out from
    the cache), each committed as an experiment with its own tables."""
    ws = clone_workspace(dvc_workspace, tmp_path / "sweep")
    run(["git", "add", "-A"], ws)
    run(["git", "commit", "-qm", "quick study", "--allow-empty"], ws)  # test_sharing may have committed it
    scales = {"scale-3": 3.0, "scale-5": 5.0}
    for name, scale in scales.items():
        run(["dvc", "exp", "run", "--queue", "-n", name, "-S", f"runs.cauchy.prior.scale={scale}"], ws)
    started = run(["dvc", "queue", "start", "-j", "2"], ws)
    assert "Started '2' new experiments task queue workers" in started.stdout + started.stderr
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        status = run(["dvc", "queue", "status"], ws).stdout
        if not re.search(r"\b(Queued|Running)\b", status):
            break
        time.sleep(5)
    assert all(re.search(rf"\b{name}\b.*\bSuccess\b", status) for name in scales), status
    for name in scales:
        ran = set(re.findall(r"Running stage '([^']+)'", run(["dvc", "queue", "logs", name], ws).stdout))
        assert ran == {"stamp_params", "fit_prior@cauchy", "train@cauchy-0", "train@cauchy-1",
                       "evaluate@cauchy-0", "evaluate@cauchy-1", "report_nonparametric", "summarise_nonparametric"}, \
            (name, ran)
    shown = json.loads(run(["dvc", "exp", "show", "--json"], ws).stdout)
    revs = {rev["name"]: rev for entry in shown for exp in (entry.get("experiments") or []) for rev in exp["revs"]}
    tables = {}
    for name, scale in scales.items():
        assert revs[name]["data"]["params"]["params.yaml"]["data"]["runs"]["cauchy"]["prior"]["scale"] == scale
        tables[name] = run(["git", "show", f"{revs[name]['rev']}:results/tables/nonparametric/all_scores.csv"],
                           ws).stdout
    base = (ws / "results/tables/nonparametric/all_scores.csv").read_text()
    assert len({base, *tables.values()}) == 3  # each variant's scores are its own
    # `dvc exp show` lists each variant's headline number beside its params (docs/results.md).
    fids = [revs[name]["data"]["metrics"]["results/metrics/nonparametric.json"]["data"]["runs"]["cauchy"]["fid_prior"]["mean"]
            for name in scales]
    assert len(set(fids)) == 2 and all(math.isfinite(f) for f in fids), fids
    # `dvc plots diff` draws both variants' curves in one plot.
    diff = json.loads(run(["dvc", "plots", "diff", *scales, "--json"], ws).stdout)["data"]
    assert diff["nonparametric/fid_vs_lambda"][0]["revisions"] == list(scales)
