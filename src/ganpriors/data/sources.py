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


def fetch_payload(name: str, sha256: str, sources: list[str], timeout: float = 60.0) -> tuple[bytes, str]:
    """The verified, decompressed payload of `name` and the source it came from."""
    reasons = []
    for source in sources:
        try:
            payload = _payload(_read_source(source, name, timeout))
        except urllib.error.URLError as exc:
            reasons.append(f"{source}: {exc.reason}")
            continue
        except (OSError, ValueError, EOFError, zlib.error, http.client.HTTPException) as exc:
            reasons.append(f"{source}: {type(exc).__name__}: {exc}")
            continue
        digest = hashlib.sha256(payload).hexdigest()
        if digest != sha256:
            reasons.append(f"{source}: checksum mismatch (sha256 {digest[:12]}..., expected {sha256[:12]}...)")
            continue
        return payload, source
    raise GanpriorsError(
        f"could not fetch {name}: " + "; ".join(reasons)
        + ". Fix: `apt-get install dataset-fashion-mnist`, or give a reachable mirror in params.yaml data.sources"
    )


def fetch_file(name: str, sha256: str, sources: list[str], dest: Path, timeout: float = 60.0) -> str:
    payload, source = fetch_payload(name, sha256, sources, timeout)
    with atomic_path(dest) as tmp:
        tmp.write_bytes(payload)
    return source


def fetch_all(files: dict[str, str], sources: list[str], out_dir: Path, timeout: float = 60.0) -> dict[str, str]:
    """Fetch and verify every file first; write them only when all succeeded (no partial set)."""
    fetched = {name: fetch_payload(name, digest, sources, timeout) for name, digest in files.items()}
    for name, (payload, _) in fetched.items():
        with atomic_path(Path(out_dir) / name) as tmp:
            tmp.write_bytes(payload)
    return {name: source for name, (_, source) in fetched.items()}
