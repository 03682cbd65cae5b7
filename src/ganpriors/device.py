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


def make_deterministic(device: torch.device) -> bool:
    """Ask for deterministic kernels; returns whether the run can be expected to be bitwise reproducible."""
    torch.use_deterministic_algorithms(True, warn_only=True)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        return True  # with warn_only, a kernel without a deterministic variant warns; recorded in logs
    return True


def generator_for(device: torch.device, seed: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)
