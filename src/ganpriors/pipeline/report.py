"""What `snakemake --report` shows of each study (torch-free: the Snakefile imports it).

Every output of a study's report and summarise stages is in the report, under the study
(category) and what the file is (subcategory: tables, figures, metrics, plots), with the caption
workflow/report/<kind>/<stem>.rst (common/ for the files every kind has): one caption per table (its .csv, .md and .tex share it) and per
figure (a figure drawn once per run, e.g. modes_<run>.png, shares one). Captions end with the
protocol line below (`{{ snakemake.params.protocol }}`), so what they say follows params.yaml.
"""
from __future__ import annotations

from pathlib import PurePosixPath

CAPTIONS_DIR = "workflow/report"
COMMON_CAPTIONS = ("all_scores", "metrics")  # the same file in every kind of study: workflow/report/common/
SECTIONS = {"results/tables": "tables", "results/figures": "figures", "results/metrics": "metrics",
            "results/plots": "plots"}


def report_section(path: str) -> str:
    for prefix, section in SECTIONS.items():
        if path.startswith(prefix + "/"):
            return section
    raise ValueError(f"{path}: not a study output (expected under {', '.join(SECTIONS)})")


def caption_stem(path: str, runs=()) -> str:
    """The caption's name: the file stem, without a run suffix for per-run figures; a study's
    metrics file is `metrics`."""
    if report_section(path) == "metrics":
        return "metrics"
    stem = PurePosixPath(path).stem
    for run in runs:
        if stem.endswith("_" + run):
            return stem[: -len(run) - 1]
    return stem


def caption_path(kind: str, path: str, runs=()) -> str:
    stem = caption_stem(path, runs)
    return f"{CAPTIONS_DIR}/{'common' if stem in COMMON_CAPTIONS else kind}/{stem}.rst"


def protocol(params) -> str:
    """One line: the feature extractor and its weights, the real and generated set sizes, the seeds."""
    extractor = params.eval.feature_extractor
    if extractor.name == "classifier":
        pinned = params.classifier.pinned
        weights = (f"pinned weights {pinned.name}, SHA-256 {pinned.sha256[:12]}" if pinned is not None
                   else "retrained by the classifier stage (classifier.pinned: null)")
        features = f"the pipeline's Fashion-MNIST classifier ({weights})"
    else:
        features = f"{extractor.name} (weights {extractor.weights})"
    seeds = ", ".join(str(s) for s in params.seeds)
    return (f"Protocol: scores in the features of {features}; {params.eval.real.n:,} real images of the "
            f"{params.eval.real.split} split against {params.eval.fake.n:,} generated images per set; "
            f"seeds {seeds} (mean and {params.report.spread} over seeds).")
