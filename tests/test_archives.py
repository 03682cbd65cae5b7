import io
import tarfile
import zipfile

import pytest

from ganpriors.data.archives import safe_extract
from ganpriors.errors import GanpriorsError


def make_tar(path, members):
    with tarfile.open(path, "w:gz") as tf:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                tf.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
                tf.addfile(info)
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
                tf.addfile(info)
    return path


def test_benign_tar_in_the_cifar_layout_extracts(tmp_path):
    arc = make_tar(tmp_path / "cifar-10-python.tar.gz", [
        ("cifar-10-batches-py/data_batch_1", "file", b"x" * 10),
        ("cifar-10-batches-py/batches.meta", "file", b"meta"),
        ("cifar-10-batches-py/latest", "symlink", "data_batch_1"),
    ])
    names = safe_extract(arc, tmp_path / "out")
    assert len(names) == 3 and (tmp_path / "out/cifar-10-batches-py/batches.meta").read_bytes() == b"meta"


@pytest.mark.parametrize("member,message", [
    (("/etc/evil", "file", b"x"), "absolute path"),
    (("../evil", "file", b"x"), "'..'"),
    (("data/../../evil", "file", b"x"), "'..'"),
    (("link", "symlink", "/etc/passwd"), "escaping"),
    (("data/link", "symlink", "../../outside"), "escaping"),
    (("hard", "hardlink", "../../etc/passwd"), "escaping"),
    (("pipe", "fifo", None), "special file"),
])
def test_malicious_tar_is_refused_and_nothing_is_written(tmp_path, member, message):
    arc = make_tar(tmp_path / "evil.tar.gz", [("data/ok.bin", "file", b"ok"), member])
    with pytest.raises(GanpriorsError, match=message):
        safe_extract(arc, tmp_path / "out")
    assert not any((tmp_path / "out").iterdir())
    assert not (tmp_path / "evil").exists()


def test_zip_slip_is_refused(tmp_path):
    arc = tmp_path / "celeba.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        zf.writestr("img_align_celeba/000001.jpg", b"jpg")
        zf.writestr("../../escape.txt", b"boom")
    with pytest.raises(GanpriorsError, match="refused member"):
        safe_extract(arc, tmp_path / "out")
    assert not any((tmp_path / "out").iterdir())


def test_corrupt_archive_is_reported(tmp_path):
    arc = tmp_path / "broken.tar.gz"
    arc.write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(GanpriorsError, match="not a readable tar or zip archive"):
        safe_extract(arc, tmp_path / "out")
