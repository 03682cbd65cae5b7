"""Download one large archive (CIFAR-10's tarball, CelebA's zip) from an ordered list of sources,
resumably, verified by SHA-256 before anything reads it.

A source is a local folder holding the archive under its name (a copy made by hand, or a mirror
mounted on a cluster), or an https:// base URL (plain http only for loopback test servers). A
download goes to `<dest>.part` and resumes from there with an HTTP Range request when a previous
attempt left one (a server that ignores the range restarts it); a progress bar goes to stderr. What
is rejected, each with its reason, before the next source is tried: a missing file, a truncated
transfer (fewer bytes than Content-Length), an HTML page served under the archive's name (the usual
answer of a host over its quota, e.g. Google Drive for CelebA), and a SHA-256 that is not the pinned
one. The archive appears under its final name only once verified.
"""
from __future__ import annotations

import hashlib
import http.client
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path

from ganpriors.data.sources import is_allowed_source
from ganpriors.errors import GanpriorsError
from ganpriors.io import atomic_path, ensure_output_dir

CHUNK = 1 << 20


class TruncatedTransfer(OSError):
    """Fewer bytes arrived than the server announced: the part is kept, and the next attempt resumes it."""
HTML_STARTS = (b"<!doctype html", b"<html", b"<!--", b"<head")


def looks_like_html(head: bytes) -> bool:
    return head.lstrip()[:16].lower().startswith(HTML_STARTS)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _progress(total: int | None, initial: int, name: str):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, desc=name, file=sys.stderr,
                disable=not sys.stderr.isatty(), leave=False)


def _download(url: str, part: Path, name: str, timeout: float) -> None:
    """Append to `part` from where it stops (HTTP Range), or start it afresh."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (scheme checked by the caller)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part is already whole: nothing left to send
            return
        raise
    with response:
        resumed = response.status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        expected = have + int(length) if length is not None else None
        with open(part, "ab" if resumed else "wb") as out, _progress(expected, have, name) as bar:
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                bar.update(len(block))
    if expected is not None and part.stat().st_size != expected:
        raise TruncatedTransfer(f"truncated download ({part.stat().st_size:,} of {expected:,} bytes; kept to resume)")


def fetch_archive(name: str, sha256: str, sources: list[str], dest: Path, timeout: float = 60.0,
                  fix: str = "give a reachable mirror or a local folder holding it in the dataset's sources") -> str:
    """The verified archive at `dest` (kept if it is already there and verifies); returns its source."""
    dest = Path(dest)
    if dest.is_file() and sha256_of(dest) == sha256:
        return str(dest)
    ensure_output_dir(dest.parent)
    reasons = []
    part = dest.with_name(dest.name + ".part")
    for source in sources:
        try:
            if not is_allowed_source(source):
                raise ValueError("only https:// URLs and local folders are allowed")
            if source.startswith("/"):
                candidate = Path(source) / name
                if not candidate.is_file():
                    raise FileNotFoundError(f"no {name} in {source}")
                with atomic_path(part) as tmp:
                    shutil.copyfile(candidate, tmp)
            else:
                _download(f"{source.rstrip('/')}/{name}", part, name, timeout)
            with open(part, "rb") as f:
                if looks_like_html(f.read(512)):
                    raise ValueError("the server sent an HTML page, not the archive (a quota or error page)")
            digest = sha256_of(part)
            if digest != sha256:
                raise ValueError(f"checksum mismatch (sha256 {digest[:12]}..., expected {sha256[:12]}...)")
        except urllib.error.URLError as exc:
            reasons.append(f"{source}: {getattr(exc, 'reason', exc)}")
            continue
        except ValueError as exc:
            part.unlink(missing_ok=True)  # a whole but wrong file: never resume from it
            reasons.append(f"{source}: {exc}")
            continue
        except (OSError, http.client.HTTPException) as exc:  # a broken transfer: the next source resumes it
            reasons.append(f"{source}: {type(exc).__name__}: {exc}")
            continue
        part.replace(dest)
        return source
    raise GanpriorsError(f"could not fetch {name}: " + "; ".join(reasons) + f". Fix: {fix}")
