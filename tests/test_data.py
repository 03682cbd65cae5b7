import gzip
import hashlib
import http.server
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from ganpriors.data.datasets import load_split, prepare_from_idx
from ganpriors.data.idx import parse_idx
from ganpriors.data.sources import fetch_all, fetch_file, is_allowed_source
from ganpriors.errors import GanpriorsError

from loopback import LoopbackServer
from conftest import DATASET_DIR, DATASET_FILES, dataset_installed, needs_dataset


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_parse_idx_roundtrip():
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    assert np.array_equal(parse_idx(idx_bytes(images)), images)
    labels = np.array([3, 1, 4], dtype=np.uint8)
    assert np.array_equal(parse_idx(idx_bytes(labels)), labels)


@pytest.mark.parametrize("corrupt", [
    lambda b: b"\x01" + b[1:],      # bad magic
    lambda b: b[:-1],               # truncated payload
    lambda b: b[:6],                # truncated header
    lambda b: b + b"\x00",          # trailing garbage
])
def test_parse_idx_rejects_corrupt_files(corrupt):
    with pytest.raises(GanpriorsError, match="IDX"):
        parse_idx(corrupt(idx_bytes(np.zeros((2, 3, 3), dtype=np.uint8))), "x")


def make_mirror(folder: Path, files: dict[str, bytes], gz: bool = True) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    digests = {}
    for name, payload in files.items():
        (folder / (f"{name}.gz" if gz else name)).write_bytes(gzip.compress(payload) if gz else payload)
        digests[name] = hashlib.sha256(payload).hexdigest()
    return digests


def test_corrupt_file_is_discarded_and_next_source_used(tmp_path):
    good = idx_bytes(np.ones((2, 2, 2), dtype=np.uint8))
    digests = make_mirror(tmp_path / "good", {"a": good})
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.gz").write_bytes(gzip.compress(good[:-3]))  # partial payload: checksum fails
    used = fetch_all(digests, [str(bad), str(tmp_path / "missing"), str(tmp_path / "good")], tmp_path / "out")
    assert used == {"a": str(tmp_path / "good")}
    assert (tmp_path / "out" / "a").read_bytes() == good


def test_all_sources_failing_lists_each_reason_and_writes_nothing(tmp_path):
    payload = idx_bytes(np.ones((2, 2), dtype=np.uint8))
    digest = hashlib.sha256(payload).hexdigest()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.gz").write_bytes(b"\x1f\x8b not really gzip")
    wrong = tmp_path / "wrong"
    make_mirror(wrong, {"a": payload + b"x"})
    with pytest.raises(GanpriorsError) as err:
        fetch_file("a", digest, [str(bad), str(wrong), str(tmp_path / "nowhere")], tmp_path / "out" / "a")
    msg = str(err.value)
    assert "\n" not in msg
    assert str(bad) in msg and str(wrong) in msg and "checksum mismatch" in msg and "nowhere" in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    assert not (tmp_path / "out" / "a").exists()


class _Server(LoopbackServer):
    """A loopback HTTP server over a folder; `truncate` serves the first bytes only."""

    def __init__(self, folder: Path, truncate: int | None = None):
        folder_ = str(folder)
        truncate_ = truncate

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=folder_, **kw)

            def log_message(self, *a):
                pass

            def copyfile(self, source, outputfile):
                data = source.read()
                outputfile.write(data[:truncate_] if truncate_ else data)

        super().__init__(Handler)


def test_download_over_http_from_loopback_mirror(tmp_path):
    payload = idx_bytes(np.arange(27, dtype=np.uint8).reshape(3, 3, 3))
    digests = make_mirror(tmp_path / "www", {"t10k-images-idx3-ubyte": payload})
    server = _Server(tmp_path / "www")
    try:
        used = fetch_all(digests, [server.url], tmp_path / "out", timeout=10)
    finally:
        server.close()
    assert used["t10k-images-idx3-ubyte"] == server.url
    assert np.array_equal(parse_idx((tmp_path / "out" / "t10k-images-idx3-ubyte").read_bytes()),
                          np.arange(27).reshape(3, 3, 3))


def test_truncated_http_download_falls_back_to_next_source(tmp_path):
    payload = idx_bytes(np.full((50, 8, 8), 7, dtype=np.uint8))
    digests = make_mirror(tmp_path / "www", {"f": payload})
    make_mirror(tmp_path / "local", {"f": payload})
    server = _Server(tmp_path / "www", truncate=40)
    try:
        used = fetch_all(digests, [server.url, str(tmp_path / "local")], tmp_path / "out", timeout=10)
    finally:
        server.close()
    assert used["f"] == str(tmp_path / "local")


def test_only_https_and_local_sources_are_allowed():
    assert is_allowed_source("https://example.org/data") and is_allowed_source("/usr/share/datasets")
    assert is_allowed_source("http://127.0.0.1:8000")
    assert not is_allowed_source("http://example.org/data") and not is_allowed_source("ftp://x")
    assert not is_allowed_source("relative/folder")


def test_dataset_check_wants_every_idx_file_gzipped_or_plain(tmp_path):
    assert not dataset_installed(tmp_path)
    for i, name in enumerate(DATASET_FILES):  # what sources._read_source accepts: name.gz or name
        (tmp_path / (f"{name}.gz" if i % 2 else name)).write_bytes(b"")
        assert dataset_installed(tmp_path) == (i == len(DATASET_FILES) - 1)


@needs_dataset
def test_debian_package_files_verify_and_prepare(tmp_path):
    from ganpriors.config import load_params
    from conftest import ROOT

    data = load_params(ROOT / "params.yaml").data
    used = fetch_all(data.files, [str(DATASET_DIR)], tmp_path / "raw")
    assert set(used) == set(data.files)
    meta = prepare_from_idx(tmp_path / "raw", tmp_path / "fm.safetensors")
    assert meta["sizes"] == {"train": 60000, "test": 10000}
    test = load_split(tmp_path / "fm.safetensors", "test")
    assert test.images.shape == (10000, 1, 28, 28) and test.images.dtype == torch.uint8
    assert sorted(test.labels.unique().tolist()) == list(range(10))
    assert (test.labels.bincount() == 1000).all()


def test_one_unfetchable_file_leaves_no_partial_set(tmp_path):
    good = idx_bytes(np.ones((2, 2, 2), dtype=np.uint8))
    digests = make_mirror(tmp_path / "m", {"a": good, "b": good + b""})
    digests["c"] = "0" * 64  # no source has it
    with pytest.raises(GanpriorsError, match="could not fetch c"):
        fetch_all(digests, [str(tmp_path / "m")], tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
