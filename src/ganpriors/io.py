"""File I/O conventions: atomic writes and loading that cannot execute code.

Every output is written to a temporary name in the same folder and renamed into place, so an
interrupted stage never leaves a file that looks complete. Tensors are stored as safetensors, or
torch.save'd state loaded with weights_only=True: results are shared between people.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterator

from ganpriors.errors import GanpriorsError


def ensure_output_dir(folder: Path | str) -> Path:
    """Create `folder` if needed and check it is writable; stages call this before long work."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GanpriorsError(f"{folder}: cannot create output folder ({exc.strerror}); check the path and permissions") from None
    if not os.access(folder, os.W_OK):
        raise GanpriorsError(f"{folder}: output folder is not writable; fix its permissions or choose another path")
    return folder


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    ensure_output_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        if exc.filename in (str(tmp), tmp) or exc.filename2 in (str(path), path):
            raise write_failed(path, exc.strerror) from None
        raise
    finally:
        if tmp.exists():
            tmp.unlink()


def write_failed(path: Path, reason: str) -> GanpriorsError:
    return GanpriorsError(f"{path}: cannot write output ({reason}); free disk space or fix the folder's permissions")


def write_text(path: Path | str, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: Path | str, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: Path | str, what: str = "file") -> Any:
    path = Path(path)
    if not path.is_file():
        raise GanpriorsError(f"{path}: {what} not found; run the stage that produces it (snakemake or dvc repro)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise GanpriorsError(f"{path}: {what} is not valid JSON ({exc.msg}); delete it and rerun its stage") from None


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_tensors(path: Path | str, tensors: dict, metadata: dict | None = None) -> None:
    """safetensors with the metadata as one sorted JSON string.

    One key, because safetensors writes its metadata map in hash order: several keys would make
    two runs with identical content produce different bytes (and different DVC hashes).
    """
    from safetensors.torch import save_file

    meta = {"ganpriors": json.dumps(metadata or {}, sort_keys=True)}
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        try:
            save_file(tensors, str(tmp), metadata=meta)
        except Exception as exc:  # safetensors' own error type wraps the OS error (e.g. a full disk)
            if "I/O error" not in str(exc):
                raise
            raise write_failed(Path(path), str(exc).split("I/O error: ", 1)[-1].split(" (os error")[0]) from None


def load_tensors(path: Path | str, what: str = "tensor file") -> tuple[dict, dict]:
    """Load a safetensors file (never executes code); returns (tensors, metadata)."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise GanpriorsError(f"{path}: {what} not found; run the stage that produces it (snakemake or dvc repro)")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads((f.metadata() or {}).get("ganpriors", "{}"))
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises several types for truncated/garbage files
        raise GanpriorsError(
            f"{path}: unreadable {what} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'corrupt'}); "
            "delete it and rerun the stage that produces it"
        ) from None
    return tensors, meta


def state_dict_mismatch(exc: RuntimeError) -> str:
    """The informative line of load_state_dict's error (the first is only a header)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[1] if len(lines) > 1 else (lines[0] if lines else "mismatch")


def save_checkpoint(path: Path | str, state: dict) -> None:
    import torch

    with atomic_path(path) as tmp:
        try:
            torch.save(state, tmp)
        except RuntimeError as exc:  # torch's zip writer reports a failed write (e.g. a full disk) this way
            if "failed writing" not in str(exc) and "unexpected pos" not in str(exc):
                raise
            raise write_failed(Path(path), f"the write stopped short, as on a full disk; torch: {str(exc).splitlines()[0]}") from None


def load_checkpoint(path: Path | str, what: str = "checkpoint") -> dict:
    """torch.load with weights_only=True: a pickle that would run code is refused."""
    import pickle

    import torch

    path = Path(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # Name the offending object; PyTorch's own first line advises weights_only=False, which
        # is exactly what must not be done with a file from a shared cache.
        lines = [l.strip() for l in str(exc).splitlines() if "Unsupported" in l or "GLOBAL" in l]
        detail = lines[0] if lines else "unsafe pickle content"
        raise GanpriorsError(
            f"{path}: refused to load {what}: it holds objects other than tensors and plain values ({detail}); "
            "delete it, it may be malicious or from an incompatible version"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise GanpriorsError(
            f"{path}: unreadable {what} ({type(exc).__name__}); delete it and rerun the stage that produces it"
        ) from None
