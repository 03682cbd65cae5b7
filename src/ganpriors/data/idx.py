"""Parse IDX files (the MNIST / Fashion-MNIST format): big-endian header, then raw values."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ganpriors.errors import GanpriorsError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES or data[3] == 0:
        raise GanpriorsError(f"{source}: not an IDX file (bad magic number); delete it and rerun the download stage")
    dtype = np.dtype(_DTYPES[data[2]])
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise GanpriorsError(f"{source}: truncated IDX header; delete it and rerun the download stage")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise GanpriorsError(
            f"{source}: IDX payload is {len(data) - header} bytes, header says {expected} for shape {shape}; "
            "the file is truncated or corrupt: delete it and rerun the download stage"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: Path | str) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise GanpriorsError(f"{path}: dataset file missing; run the download stage (snakemake or dvc repro)")
    return parse_idx(path.read_bytes(), str(path))
