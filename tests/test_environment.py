"""The pinned environment: requirements.lock against pyproject.toml."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


def _pyproject() -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _lock_entries() -> dict[str, tuple[str, list[str]]]:
    """{canonical name: (version, hashes)} of the lock, each pin with the --hash lines that follow it."""
    entries, current = {}, None
    for line in LOCK.read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if pin:
            current = canonicalize_name(pin[1])
            entries[current] = (pin[2], [])
        elif line.startswith((" ", "\t")) and "--hash=" in line and current:
            entries[current][1].append(line.split("--hash=", 1)[1].rstrip(" \\"))
        elif line and not line.startswith((" ", "\t", "#")):
            current = None
            assert line.startswith("-"), f"requirements.lock: unexpected line {line!r}"
    return entries


# ----------------------------------------------------------------------------- the lock


def test_lock_pins_every_direct_dependency_within_pyproject_ranges():
    project = _pyproject()["project"]
    direct = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    entries = _lock_entries()
    problems = []
    for text in direct:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name not in entries:
            problems.append(f"{req.name}: not pinned in requirements.lock")
        elif not req.specifier.contains(Version(entries[name][0]), prereleases=True):
            problems.append(f"{req.name}: lock pins {entries[name][0]}, pyproject.toml asks {req.specifier}")
    assert not problems, "requirements.lock and pyproject.toml disagree (regenerate the lock, see its header):\n" + \
        "\n".join(problems)


def test_every_pin_in_the_lock_is_exact_and_hashed():
    entries = _lock_entries()
    assert len(entries) > 50  # the whole closure, not only the direct dependencies
    unhashed = [name for name, (_, hashes) in entries.items() if not hashes]
    assert not unhashed, f"pins without --hash in requirements.lock: {unhashed}"
    for name, (_, hashes) in entries.items():
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), name


def test_lock_header_records_the_command_and_the_platform():
    header = "\n".join(line for line in LOCK.read_text().splitlines()[:30] if line.startswith("#"))
    assert "pip-compile" in header and "--generate-hashes" in header
    assert "Linux x86_64" in header and "CPython 3.11" in header
    torch_version, _ = _lock_entries()["torch"]
    assert torch_version == "2.14.1"
