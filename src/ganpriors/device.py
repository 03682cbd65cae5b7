"""Device selection and reproducibility switches."""
from __future__ import annotations

import torch

from ganpriors.errors import GanpriorsError


def pick_device(requested: str) -> torch.device:
    """`auto` picks CUDA when present; an explicit cuda request on a machine without it is an error."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise GanpriorsError(f"device '{requested}' requested in params.yaml but CUDA is not available; use auto or cpu")
    return torch.device(requested)


def make_deterministic(device: torch.device) -> None:
    """Ask for deterministic kernels. With warn_only, an operation that has no deterministic
    variant (some CUDA kernels) warns instead of failing; NondeterminismMonitor records it."""
    import os

    # cuBLAS is deterministic only with a fixed workspace; must be set before CUDA initialises.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True


class NondeterminismMonitor:
    """Context manager: collects PyTorch's 'no deterministic implementation' warnings.

    `deterministic` is False when any operation of the run had no deterministic variant on this
    device; `operations` lists their messages. Other warnings pass through unchanged.
    """

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings(record=True)
        self._caught = self._ctx.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        import warnings

        self._ctx.__exit__(*exc)
        self.operations = sorted({str(w.message).split("\n")[0] for w in self._caught
                                  if "deterministic" in str(w.message)})
        for w in self._caught:
            if "deterministic" not in str(w.message):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return False

    @property
    def deterministic(self) -> bool:
        return not self.operations


def generator_for(device: torch.device, seed: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)
