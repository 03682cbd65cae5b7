"""CIFAR-10 from its binary tarball, end to end on a loopback HTTP server (no network): a tiny archive
in the real layout (four records per batch) is downloaded, resumed after a truncated transfer with an
HTTP Range request, verified by SHA-256 and read without unpickling or extracting; an HTML page under
the archive's name, a wrong checksum and an archive with a path-traversal member are each refused
with a one-line reason."""
from __future__ import annotations

import hashlib
import http.server
import io
import tarfile

import numpy as np
import pytest

from ganpriors.data import cifar10
from ganpriors.data.downloads import fetch_archive
from ganpriors.errors import GanpriorsError

from loopback import LoopbackServer

RECORDS = 4


def record(label: int, r: int, g: int, b: int) -> bytes:
    return bytes([label]) + bytes([r]) * 1024 + bytes([g]) * 1024 + bytes([b]) * 1024


def batch(seed: int) -> bytes:
    return b"".join(record((seed + i) % 10, seed, i, 255 - i) for i in range(RECORDS))


def tarball(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def cifar_members() -> dict[str, bytes]:
    members = {name: batch(i + 1) for i, name in enumerate(cifar10.TRAIN)}
    members[cifar10.TEST[0]] = batch(9)
    members[f"{cifar10.PREFIX}batches.meta.txt"] = "\n".join(cifar10.CLASSES).encode()
    return members


class Server(LoopbackServer):
    """Loopback HTTP over {path: bytes} with Range support; the first `truncate_first` requests of a
    path send only half the bytes announced and close."""

    def __init__(self, files: dict[str, bytes], truncate_first: int = 0):
        self.files, self.ranges, self.truncations = files, [], {p: truncate_first for p in files}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                data = server.files.get(self.path.lstrip("/"))
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                if "Range" in self.headers:
                    server.ranges.append(self.headers["Range"])
                    start = int(self.headers["Range"].removeprefix("bytes=").rstrip("-"))
                body = data[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.truncations.get(self.path.lstrip("/"), 0) > 0:
                    server.truncations[self.path.lstrip("/")] -= 1
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(body)

        super().__init__(Handler)


@pytest.fixture
def archive_bytes():
    return tarball(cifar_members())


def test_download_resumes_after_a_truncated_transfer_and_the_records_are_decoded(tmp_path, archive_bytes):
    server = Server({cifar10.ARCHIVE: archive_bytes}, truncate_first=1)
    try:
        digest = hashlib.sha256(archive_bytes).hexdigest()
        dest = tmp_path / cifar10.ARCHIVE
        # The first attempt is cut half-way and leaves its part; the second (same mirror listed twice,
        # as a rerun would) asks for the rest only.
        used = fetch_archive(cifar10.ARCHIVE, digest, [server.url, server.url], dest)
        assert used == server.url and dest.read_bytes() == archive_bytes
        assert server.ranges == [f"bytes={len(archive_bytes) // 2}-"]
        assert not (tmp_path / f"{cifar10.ARCHIVE}.part").exists()
    finally:
        server.close()
    data = cifar10.read_cifar10(dest, records=RECORDS)
    assert data["train_images"].shape == (5 * RECORDS, 3, 32, 32) and data["test_images"].shape == (RECORDS, 3, 32, 32)
    # Record i of batch s: label (s + i) % 10, red plane s, green i, blue 255 - i.
    image, label = data["train_images"][RECORDS + 2], data["train_labels"][RECORDS + 2]  # batch 2, record 2
    assert int(label) == 4 and image[0].unique().tolist() == [2] and image[1].unique().tolist() == [2]
    assert image[2].unique().tolist() == [253]
    assert data["test_labels"].tolist() == [9, 0, 1, 2]


def test_an_html_page_and_a_wrong_checksum_are_refused_and_a_local_folder_is_a_source(tmp_path, archive_bytes):
    digest = hashlib.sha256(archive_bytes).hexdigest()
    html = Server({cifar10.ARCHIVE: b"<!DOCTYPE html><html><title>Quota exceeded</title></html>"})
    wrong = Server({cifar10.ARCHIVE: archive_bytes[:-1] + b"x"})
    local = tmp_path / "mirror"
    local.mkdir()
    (local / cifar10.ARCHIVE).write_bytes(archive_bytes)
    try:
        with pytest.raises(GanpriorsError) as err:
            fetch_archive(cifar10.ARCHIVE, digest, [html.url, wrong.url], tmp_path / "a" / cifar10.ARCHIVE)
        text = str(err.value)
        assert "\n" not in text and "HTML page, not the archive" in text and "checksum mismatch" in text
        assert not (tmp_path / "a" / cifar10.ARCHIVE).exists() and not list((tmp_path / "a").glob("*.part"))
        used = fetch_archive(cifar10.ARCHIVE, digest, [html.url, str(local)], tmp_path / "b" / cifar10.ARCHIVE)
        assert used == str(local)
    finally:
        html.close()
        wrong.close()


@pytest.mark.parametrize("edit, message", [
    (lambda m: {**m, "../evil.bin": b"x"}, "refused member '../evil.bin'"),
    (lambda m: {k: v for k, v in m.items() if not k.endswith("test_batch.bin")}, "lacks cifar-10-batches-bin/test_batch.bin"),
    (lambda m: {**m, cifar10.TRAIN[0]: m[cifar10.TRAIN[0]][:-1]}, "expected 4 records of 3073 bytes"),
])
def test_unsafe_or_incomplete_archives_are_refused_in_one_line(tmp_path, edit, message):
    path = tmp_path / cifar10.ARCHIVE
    path.write_bytes(tarball(edit(cifar_members())))
    with pytest.raises(GanpriorsError) as err:
        cifar10.read_cifar10(path, records=RECORDS)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_prepared_file_has_the_fashion_mnist_layout(tmp_path, archive_bytes):
    from ganpriors.io import load_tensors

    path = tmp_path / cifar10.ARCHIVE
    path.write_bytes(archive_bytes)
    assert cifar10.prepare_cifar10(path, tmp_path / "cifar10.safetensors", records=RECORDS) == {"train": 20, "test": 4}
    tensors, meta = load_tensors(tmp_path / "cifar10.safetensors")
    assert set(tensors) == {"train_images", "train_labels", "test_images", "test_labels"}
    assert str(tensors["train_images"].dtype) == "torch.uint8" and meta["classes"][0] == "airplane"
    assert np.array_equal(tensors["test_labels"].numpy(), [9, 0, 1, 2])
