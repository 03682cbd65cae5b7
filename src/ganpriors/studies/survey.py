"""The GAN survey systems as one benchmark study: WGAN, WGAN-GP, SAGAN, BigGAN, LOGAN, U-Net GAN,
IC-GAN and ADC-GAN beside the DCGAN, in the layout of the benchmark frameworks, with each system's
own latent-space experiment (ablations), BigGAN's truncation curve, IC-GAN's samples around
held-out instances, and the Normal and non-parametric priors on two of the new architectures."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ganpriors.schema import Strict
from ganpriors.studies.base import PlotData, Study

# Rows of the benchmark frameworks' CIFAR-10 tables (ganpriors.report.paper.SURVEY_CIFAR10) a run may
# stand beside.
SURVEY_REFERENCE_ROWS = ("dcgan", "wgan", "wgan_gp", "sagan", "biggan", "logan", "unet_gan", "icgan", "adcgan")


class TruncationSettings(Strict):
    # Runs whose generator is scored on z from N(0, I) truncated at each threshold (BigGAN's trick):
    # the runs must have a Normal prior (the trick is a change of the sampling distribution).
    runs: list[str] = Field(default_factory=list)
    thresholds: list[float] = Field(default_factory=lambda: [0.25, 0.5, 1.0, 1.5, 2.0], min_length=1)
    n: int = Field(5000, ge=100)  # samples per threshold, scored against the whole test split

    @model_validator(mode="after")
    def _positive(self):
        for t in self.thresholds:
            if not t > 0:
                raise ValueError(f"truncation.thresholds: {t} is not > 0 (|z_i| > threshold is resampled; "
                                 "use a positive threshold, e.g. 0.5)")
        return self


class SurveyProbeSettings(Strict):
    # Intra-FID of the class-conditional systems: this many samples of each class against the test
    # split's images of that class (1,000 per Fashion-MNIST class), averaged over classes.
    intra_fid_per_class: int = Field(1000, ge=10)
    samples: int = Field(8, ge=1, le=32)  # images of each run in the samples figure (cycling the classes)
    truncation: TruncationSettings = TruncationSettings()
    # IC-GAN's transfer to unseen instances: test images whose classifier features condition G.
    held_out_instances: int = Field(8, ge=1, le=64)
    samples_per_instance: int = Field(8, ge=1, le=32)


class SurveyStudy(Study):
    kind: Literal["survey"]
    title = "The GAN survey systems as one benchmark: WGAN to ADC-GAN at Fashion-MNIST scale"
    probe: SurveyProbeSettings = SurveyProbeSettings()
    # run -> the system's name in the table (default: the run's name)
    systems: dict[str, str] = Field(default_factory=dict)
    # run -> the benchmark frameworks' CIFAR-10 row shown beside it (reference values, other data)
    references: dict[str, Literal[SURVEY_REFERENCE_ROWS]] = Field(default_factory=dict)
    # Each system's own experiment: a name -> the runs compared (the first is the system as published).
    ablations: dict[str, list[str]] = Field(default_factory=dict)
    # The latent-prior question across architectures: architecture -> {prior label: run}, every run
    # scored on prior samples and on mid-points (interpolations on).
    latent_priors: dict[str, dict[str, str]] = Field(default_factory=dict)

    impl = "ganpriors.report.survey:build_survey_report"
    reads = "probes"
    probe_impl = "ganpriors.probes.survey:probe_survey"
    summary_table = "survey.csv"
    tables = ("survey.csv", "survey.md", "survey.tex", "ablations.csv", "ablations.md", "ablations.tex",
              "latent_priors.csv", "latent_priors.md", "latent_priors.tex", "truncation.csv", "all_scores.csv")

    def figures(self) -> list[str]:
        return ["samples", "truncation", "held_out_instances"]

    def plot_data(self) -> tuple[PlotData, ...]:
        return (PlotData("fid_vs_truncation", "ganpriors.report.survey:truncation_plot", x="threshold",
                         title="FID against the truncation threshold", reads=("truncation.csv",)),)

    @model_validator(mode="after")
    def _names(self):
        named = {"systems": self.systems, "references": self.references,
                 "probe.truncation.runs": dict.fromkeys(self.probe.truncation.runs)}
        named.update({f"ablations.{k}": dict.fromkeys(v) for k, v in self.ablations.items()})
        named.update({f"latent_priors.{k}": {r: None for r in v.values()} for k, v in self.latent_priors.items()})
        for where, runs in named.items():
            for run in runs:
                if run not in self.runs:
                    raise ValueError(f"{where}: '{run}' is not one of the study's runs ({', '.join(self.runs)})")
        for name, runs in self.ablations.items():
            if len(runs) < 2:
                raise ValueError(f"ablations.{name} compares runs: list at least two (the system and its variant)")
        return self

    def check(self, params) -> None:
        from ganpriors import registry

        for run in self.probe.truncation.runs:
            kind = params.resolve_run(run).prior.kind
            if kind != "normal":
                raise ValueError(f"studies: probe.truncation.runs: run {run} has a {kind} prior; the truncation "
                                 "curve resamples N(0, 1) coordinates, so list runs with a normal prior")
        for arch, runs in self.latent_priors.items():
            for label, run in runs.items():
                if not params.resolve_run(run).interpolations:
                    raise ValueError(f"studies: latent_priors.{arch}.{label}: run {run} has interpolations false; "
                                     "the prior question scores mid-points: set interpolations: true")
        for run in self.runs:
            resolved = params.resolve_run(run)
            if resolved.dataset is not None:
                raise ValueError(f"studies: run {run} trains on dataset {resolved.dataset.kind}; the survey scores "
                                 "Fashion-MNIST images (remove the run or its dataset)")
            if resolved.view is not None and registry.NETS.spec(resolved.model.net).conditional:
                raise ValueError(f"studies: run {run} is class-conditional under a view; intra-FID needs the "
                                 "ten Fashion-MNIST classes (remove the view)")
