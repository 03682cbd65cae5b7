"""CIFAR-10 from its binary tarball (cifar-10-binary.tar.gz), never from the Python-version pickles.

The archive holds cifar-10-batches-bin/data_batch_1.bin .. data_batch_5.bin (training, 10,000
records each) and test_batch.bin; a record is 1 label byte then 3,072 pixel bytes (the red, green
and blue 32 x 32 planes, row-major). Members are read as bytes from the archive without extracting
anything, after every member name passed the safe-extraction rules of ganpriors.data.archives
(no absolute path, no '..', no link, no special file); the six batches must all be there with
their exact sizes. The prepared file has the layout of Fashion-MNIST's (train_images, train_labels,
test_images, test_labels; uint8 N x 3 x 32 x 32 and int64 labels).
"""
from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import torch

from ganpriors.data.archives import check_members
from ganpriors.errors import GanpriorsError

ARCHIVE = "cifar-10-binary.tar.gz"
# SHA-256 of the tarball (TensorFlow Datasets' url_checksums/cifar10.txt; 170,052,171 bytes).
ARCHIVE_SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
SOURCES = ("https://www.cs.toronto.edu/~kriz",)
PREFIX = "cifar-10-batches-bin/"
TRAIN = tuple(f"{PREFIX}data_batch_{i}.bin" for i in range(1, 6))
TEST = (f"{PREFIX}test_batch.bin",)
RECORD = 1 + 3 * 32 * 32
RECORDS_PER_BATCH = 10_000
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def parse_batch(raw: bytes, name: str, records: int = RECORDS_PER_BATCH) -> tuple[torch.Tensor, torch.Tensor]:
    if len(raw) != records * RECORD:
        raise GanpriorsError(f"{name}: {len(raw):,} bytes, expected {records:,} records of {RECORD} bytes "
                             f"({records * RECORD:,}); the archive is corrupt: delete it and download again")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(records, RECORD)
    labels = rows[:, 0].astype(np.int64)
    if labels.max(initial=0) >= len(CLASSES):
        raise GanpriorsError(f"{name}: label {labels.max()} is not a CIFAR-10 class (0-9); the archive is corrupt")
    images = rows[:, 1:].reshape(records, 3, 32, 32)
    return torch.from_numpy(images.copy()), torch.from_numpy(labels)


def read_cifar10(archive: Path, records: int = RECORDS_PER_BATCH) -> dict[str, torch.Tensor]:
    """The prepared tensors of a verified archive (`records` per batch: 10,000, fewer in tests)."""
    archive = Path(archive)
    try:
        tf = tarfile.open(archive, "r:gz")
        members = tf.getmembers()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise GanpriorsError(f"{archive}: not a readable .tar.gz ({exc}); delete it and download again") from None
    with tf:
        check_members(archive, members)
        by_name = {m.name: m for m in members}
        missing = [n for n in TRAIN + TEST if n not in by_name]
        if missing:
            raise GanpriorsError(f"{archive}: lacks {', '.join(missing)}; not the CIFAR-10 binary archive "
                                 f"({ARCHIVE})")
        parts = {n: parse_batch(tf.extractfile(by_name[n]).read(), n, records) for n in TRAIN + TEST}
    train = [parts[n] for n in TRAIN]
    return {"train_images": torch.cat([p[0] for p in train]), "train_labels": torch.cat([p[1] for p in train]),
            "test_images": parts[TEST[0]][0], "test_labels": parts[TEST[0]][1]}


def prepare_cifar10(archive: Path, out: Path, records: int = RECORDS_PER_BATCH) -> dict[str, int]:
    from ganpriors.io import save_tensors

    tensors = read_cifar10(archive, records)
    save_tensors(out, tensors, {"dataset": "cifar10", "classes": list(CLASSES)})
    return {"train": len(tensors["train_images"]), "test": len(tensors["test_images"])}
