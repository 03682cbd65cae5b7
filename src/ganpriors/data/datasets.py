"""The prepared dataset: uint8 N x 1 x 28 x 28 images and int64 labels, train and test splits."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ganpriors.data.idx import read_idx
from ganpriors.errors import GanpriorsError
from ganpriors.io import load_tensors, save_tensors

FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass
class Split:
    images: torch.Tensor  # uint8, N x 1 x H x W
    labels: torch.Tensor  # int64, N


def prepare_from_idx(raw_dir: Path | str, out_path: Path | str) -> dict:
    raw_dir = Path(raw_dir)
    tensors = {}
    for split, (img_name, lbl_name) in IDX_FILES.items():
        images = read_idx(raw_dir / img_name)
        labels = read_idx(raw_dir / lbl_name)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise GanpriorsError(
                f"{raw_dir}: {img_name} {images.shape} and {lbl_name} {labels.shape} do not pair up; "
                "rerun the download stage"
            )
        tensors[f"{split}_images"] = torch.from_numpy(np.ascontiguousarray(images[:, None]))
        tensors[f"{split}_labels"] = torch.from_numpy(labels.astype(np.int64))
    meta = {"dataset": "fashion-mnist", "classes": FASHION_MNIST_CLASSES,
            "sizes": {s: int(tensors[f"{s}_labels"].numel()) for s in IDX_FILES}}
    save_tensors(out_path, tensors, meta)
    return meta


def load_split(path: Path | str, split: str) -> Split:
    tensors, _ = load_tensors(path, "prepared dataset")
    key = f"{split}_images"
    if key not in tensors:
        raise GanpriorsError(f"{path}: no '{split}' split in the prepared dataset; rerun the prepare stage")
    return Split(tensors[key], tensors[f"{split}_labels"])


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1] (the generator's tanh range)."""
    return images.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float [-1, 1] -> uint8 [0, 255]."""
    return images.clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
