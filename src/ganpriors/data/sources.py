"""Fetch dataset files from an ordered list of mirrors, verifying each by SHA-256.

A source is a local folder (e.g. the Debian package's /usr/share/datasets/fashion-mnist) or an
https:// base URL; plain http is accepted only for loopback test servers. A file that is missing,
truncated or fails its checksum is discarded and the next source is tried.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from urllib.parse import urlparse

from ganpriors.errors import GanpriorsError
from ganpriors.io import atomic_path

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_allowed_source(source: str) -> bool:
    if source.startswith("/"):
        return True
    url = urlparse(source)
    return url.scheme == "https" or (url.scheme == "http" and url.hostname in LOOPBACK)


def _read_source(source: str, name: str, timeout: float) -> bytes:
    """Return the raw bytes of `name` (.gz preferred) from one source, or raise OSError/ValueError."""
    if not is_allowed_source(source):
        raise ValueError("only https:// URLs and local folders are allowed")
    if source.startswith("/"):
        folder = Path(source)
        if not folder.is_dir():
            raise FileNotFoundError(f"folder {folder} does not exist")
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate.read_bytes()
        raise FileNotFoundError(f"neither {name}.gz nor {name} in {folder}")
    url = f"{source.rstrip('/')}/{name}.gz"
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
        expected = response.headers.get("Content-Length")
        data = response.read()
    if expected is not None and len(data) != int(expected):
        raise ValueError(f"truncated download ({len(data)} of {expected} bytes)")
    return data


def _payload(raw: bytes) -> bytes:
    if raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    return raw


def fetch_file(name: str, sha256: str, sources: list[str], dest: Path, timeout: float = 60.0) -> str:
    """Write the verified, decompressed payload of `name` to `dest`; return the source used."""
    reasons = []
    for source in sources:
        try:
            payload = _payload(_read_source(source, name, timeout))
        except (OSError, ValueError, EOFError, zlib.error, urllib.error.URLError, http.client.HTTPException) as exc:
            reasons.append(f"{source}: {getattr(exc, 'reason', None) or exc!r}")
            continue
        digest = hashlib.sha256(payload).hexdigest()
        if digest != sha256:
            reasons.append(f"{source}: checksum mismatch (sha256 {digest[:12]}..., expected {sha256[:12]}...)")
            continue
        with atomic_path(dest) as tmp:
            tmp.write_bytes(payload)
        return source
    raise GanpriorsError(
        f"could not fetch {name}: " + "; ".join(reasons)
        + ". Fix: `apt-get install dataset-fashion-mnist`, or give a reachable mirror in params.yaml data.sources"
    )


def fetch_all(files: dict[str, str], sources: list[str], out_dir: Path, timeout: float = 60.0) -> dict[str, str]:
    return {name: fetch_file(name, digest, sources, Path(out_dir) / name, timeout) for name, digest in files.items()}
