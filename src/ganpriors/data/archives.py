"""Safe extraction of dataset archives (tar and zip, as CIFAR-10 and CelebA ship).

A member is refused if its path is absolute, contains '..', or if it is a link (symbolic or
hard) whose target escapes the destination folder; device files and FIFOs are refused too.
Nothing is written when any member is refused.
"""
from __future__ import annotations

import os
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from ganpriors.errors import GanpriorsError


def _check_name(archive: Path, name: str) -> None:
    p = PurePosixPath(name)
    if p.is_absolute() or name.startswith(("/", "\\")) or ".." in p.parts or (len(name) > 1 and name[1] == ":"):
        raise GanpriorsError(f"{archive}: refused member '{name}' (absolute path or '..'); the archive is unsafe")


def _inside(dest: Path, target: Path) -> bool:
    dest, target = os.path.realpath(dest), os.path.realpath(target)
    return os.path.commonpath([dest, target]) == dest


def safe_extract(archive: Path | str, dest: Path | str) -> list[str]:
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            for name in names:
                _check_name(archive, name)
                info = zf.getinfo(name)
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise GanpriorsError(f"{archive}: refused symbolic link '{name}' in a zip archive")
            zf.extractall(dest)
        return names
    try:
        tf = tarfile.open(archive)
        members = tf.getmembers()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise GanpriorsError(f"{archive}: not a readable tar or zip archive ({exc}); delete it and download again") from None
    with tf:
        check_members(archive, members, dest)
        tf.extractall(dest, members=members, filter="tar" if hasattr(tarfile, "data_filter") else None)
        return [m.name for m in members]


def check_members(archive: Path, members: list, dest: Path | None = None) -> None:
    """Refuse an unsafe tar member (the rules above). Without `dest` (members read as bytes, nothing
    extracted) every link is refused."""
    for m in members:
        _check_name(archive, m.name)
        if m.issym() or m.islnk():
            if dest is None:
                raise GanpriorsError(f"{archive}: refused link '{m.name}' -> '{m.linkname}' (a dataset archive has none)")
            base = dest / PurePosixPath(m.name).parent if m.issym() else dest
            target = base / m.linkname
            if PurePosixPath(m.linkname).is_absolute() or not _inside(dest, target):
                raise GanpriorsError(f"{archive}: refused link '{m.name}' -> '{m.linkname}' escaping the target folder")
        elif not (m.isfile() or m.isdir()):
            raise GanpriorsError(f"{archive}: refused special file '{m.name}' (device or FIFO)")
