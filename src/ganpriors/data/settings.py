"""Settings of the data: where the dataset comes from (params `data`) and which classes a run
sees (params `runs.<run>.view`). Torch-free: the Snakefile validates them at parse time."""
from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from ganpriors.schema import Strict

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DataSettings(Strict):
    dataset: Literal["fashion-mnist"]
    # Tried in order: local folders (absolute paths) and https:// base URLs.
    sources: list[str] = Field(min_length=1)
    # File name (without .gz) -> SHA-256 of the *decompressed* IDX payload. Mirrors recompress the
    # archives (the Debian package does), so the payload is what is invariant across sources.
    files: dict[str, str] = Field(min_length=1)
    timeout_s: float = Field(60.0, gt=0)

    @field_validator("sources")
    @classmethod
    def _sources(cls, sources: list[str]) -> list[str]:
        from ganpriors.data.sources import is_allowed_source

        for s in sources:
            if not is_allowed_source(s):
                raise ValueError(f"source '{s}' must be an https:// URL or an absolute local folder")
        return sources

    @field_validator("files")
    @classmethod
    def _files(cls, files: dict[str, str]) -> dict[str, str]:
        for name, digest in files.items():
            if not SHA256.match(digest):
                raise ValueError(f"files.{name}: '{digest}' is not a 64-hex-digit SHA-256")
        return files


class ViewSettings(Strict):
    """Which classes a run sees, grouped how, in what proportions (see ganpriors.data.views)."""

    # Each inner list of original class labels is one group (a mode for NEMGAN); classes in no group
    # are left out. Default: every class its own group.
    groups: Optional[list[list[int]]] = None
    # Resample each split so that the groups have exactly these shares (e.g. [0.8, 0.2]).
    proportions: Optional[list[float]] = None
    seed: int = Field(0, ge=0)

    @field_validator("groups")
    @classmethod
    def _groups(cls, v):
        if v is None:
            return v
        flat = [c for g in v for c in g]
        if not v or any(not g for g in v) or len(set(flat)) != len(flat) or any(not 0 <= c <= 9 for c in flat):
            raise ValueError(f"groups {v} must be non-empty lists of distinct class labels 0..9")
        return v

    @model_validator(mode="after")
    def _proportions(self):
        if self.proportions is not None:
            n = len(self.groups) if self.groups is not None else 10
            if len(self.proportions) != n or any(p <= 0 for p in self.proportions) or abs(sum(self.proportions) - 1) > 1e-6:
                raise ValueError(f"proportions {self.proportions} must be {n} positive shares summing to 1")
        return self


# Fashion-MNIST's training split (the pinned files of params `data`): 6,000 images of each class.
TRAIN_IMAGES_PER_CLASS = 6000
N_CLASSES = 10


def viewed_train_size(view: Optional[ViewSettings], per_class: int = TRAIN_IMAGES_PER_CLASS,
                      n_classes: int = N_CLASSES) -> int:
    """Images of the training split that ganpriors.data.views.apply_view keeps under `view`,
    computed from the class counts (the same arithmetic), without loading the data."""
    groups = view.groups if view is not None and view.groups is not None else [[c] for c in range(n_classes)]
    counts = [per_class * len(g) for g in groups]
    if view is None or view.proportions is None:
        return sum(counts)
    total = min(n / p for n, p in zip(counts, view.proportions))  # largest N with N * p_g <= n_g
    return sum(min(n, int(round(total * p))) for n, p in zip(counts, view.proportions))


def check_batch_size(run) -> None:
    """A batch must fit in the training split (a ResolvedRun); benchmark datasets that draw fresh
    samples for every batch have no size (their spec's train_size is None)."""
    if run.dataset is not None:
        size, what = run.dataset.train_size, f"the {run.dataset.kind} dataset"
    else:
        size = viewed_train_size(run.view)
        what = "Fashion-MNIST's training split" + (" under the run's view" if run.view is not None else "")
    if size is not None and run.train.batch_size > size:
        raise ValueError(f"train.batch_size {run.train.batch_size} is larger than the {size:,} images of {what}; "
                         f"set train.batch_size to at most {size:,}")


def label_classes(run) -> Optional[int]:
    """Classes the real batches of a run (a ResolvedRun) are labelled with: the view's groups, or
    Fashion-MNIST's 10; None for the benchmark datasets, whose batches carry no labels."""
    if run.dataset is not None:
        return None
    return len(run.view.groups) if run.view is not None and run.view.groups is not None else N_CLASSES
