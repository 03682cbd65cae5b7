"""The pinned environment (requirements.lock against pyproject.toml), the environment fingerprint,
its comparison rule, the lock-drift warning and `ganpriors env`."""
from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from ganpriors import environment
from ganpriors.cli import main

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


# ----------------------------------------------------------------------------- fingerprint


def test_fingerprint_has_its_keys_serialises_and_is_stable():
    first = environment.fingerprint()
    for key in ("python", "platform", "torch", "numpy", "cpu", "gpu", "threads", "packages", "device"):
        assert key in first
    for key in ("version", "cuda", "cudnn", "mkldnn", "openmp", "cpu_capability", "config"):
        assert key in first["torch"]
    assert first["threads"]["torch"] >= 1
    assert set(environment.KEY_PACKAGES) <= set(first["packages"])
    assert first["packages"]["numpy"]
    text = json.dumps(first, sort_keys=True)
    assert json.dumps(environment.fingerprint(), sort_keys=True) == text
    if first["platform"]["system"] == "Linux" and first["platform"]["machine"] == "x86_64":
        assert "sse2" in first["cpu"]["flags"] and "smep" not in first["cpu"]["flags"]


def _base() -> dict:
    return {
        "format": 1, "device": "cpu",
        "python": {"version": "3.11.7", "implementation": "CPython"},
        "platform": {"system": "Linux", "machine": "x86_64", "libc": "glibc 2.36"},
        "torch": {"version": "2.14.1+cu130", "git_version": "abc", "cuda": "13.0", "cudnn": 92400,
                  "cpu_capability": "AVX2", "build": {"BLAS_INFO": "mkl"}, "config": ["OpenMP 201511"]},
        "numpy": {"version": "2.4.6", "blas": "scipy-openblas 0.3.31", "simd": ["X86_V3"]},
        "cpu": {"vendor": "AuthenticAMD", "model": "AMD EPYC", "flags": ["avx", "avx2", "fma", "sse4_2"]},
        "gpu": None,
        "threads": {"torch": 1, "torch_interop": 2, "numpy_blas": 2, "cpus": 2, "env": {"OMP_NUM_THREADS": None}},
        "packages": {"torch": "2.14.1", "torchvision": "0.29.1", "numpy": "2.4.6"},
    }


def test_compare_identical_is_bitwise():
    assert environment.compare(_base(), copy.deepcopy(_base())) == ("bitwise", [])


def test_compare_informational_keys_do_not_count():
    current = _base()
    current["cpu"]["model"] = "AMD EPYC 9654"
    current["threads"]["cpus"] = 16
    current["torch"]["cudnn"] = 91000  # a CPU run does not use cuDNN
    assert environment.compare(_base(), current) == ("bitwise", [])


def test_compare_thread_count_is_tolerance():
    current = _base()
    current["threads"]["torch"] = 4
    verdict, reasons = environment.compare(_base(), current)
    assert verdict == "tolerance"
    assert reasons == ["threads.torch: recorded 1, current 4"]


def test_compare_cpu_capability_and_blas_are_tolerance():
    current = _base()
    current["torch"]["cpu_capability"] = "AVX512"
    current["cpu"]["flags"] = ["avx", "avx2", "avx512f", "fma", "sse4_2"]
    current["numpy"]["blas"] = "openblas 0.3.20"
    verdict, reasons = environment.compare(_base(), current)
    assert verdict == "tolerance"
    assert any(r.startswith("torch.cpu_capability: recorded AVX2, current AVX512") for r in reasons)
    assert any(r.startswith("cpu.flags:") and "avx512f" in r for r in reasons)
    assert any(r.startswith("numpy.blas:") for r in reasons)


def test_compare_other_torch_release_is_not_comparable():
    current = _base()
    current["torch"]["version"] = "2.13.0+cpu"
    current["packages"]["torch"] = "2.13.0+cpu"
    verdict, reasons = environment.compare(_base(), current)
    assert verdict == "not comparable"
    assert reasons[0] == "torch.version: recorded 2.14.1+cu130, current 2.13.0+cpu (a different torch release)"


def test_compare_same_release_line_other_build_is_tolerance():
    current = _base()
    current["torch"]["version"] = "2.14.0"
    verdict, reasons = environment.compare(_base(), current)
    assert verdict == "tolerance" and reasons[0].startswith("torch.version: recorded 2.14.1+cu130, current 2.14.0")


def test_compare_cpu_against_gpu_is_not_comparable_and_gpus_are_compared():
    gpu = _base()
    gpu["device"] = "cuda"
    gpu["gpu"] = {"name": "NVIDIA H200", "capability": "9.0", "count": 1}
    verdict, reasons = environment.compare(_base(), gpu)
    assert verdict == "not comparable" and reasons[0].startswith("device: recorded cpu, current cuda")
    other = copy.deepcopy(gpu)
    other["gpu"]["name"] = "NVIDIA A100"
    other["gpu"]["capability"] = "8.0"
    verdict, reasons = environment.compare(gpu, other)
    assert verdict == "tolerance" and "gpu.name: recorded NVIDIA H200, current NVIDIA A100" in reasons


def test_find_fingerprint_in_an_artefact():
    fp = _base()
    assert environment.find_fingerprint(fp) is fp
    assert environment.find_fingerprint({"run": "x", "environment": fp}) is fp
    assert environment.find_fingerprint({"protocol": {"seed": 0, "environment": fp}}) is fp
    assert environment.find_fingerprint({"run": "x"}) is None


# ----------------------------------------------------------------------------- lock drift


def _write_lock(path: Path, pins: dict[str, str]) -> Path:
    lines = ["# synthetic lock"]
    for name, version in pins.items():
        lines += [f"{name}=={version} \\", "    --hash=sha256:" + "0" * 64]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_check_lock_reports_a_wrong_version_and_nothing_when_matching(tmp_path):
    installed = environment.installed_versions(["numpy", "torch"])
    assert installed["numpy"]
    matching = _write_lock(tmp_path / "ok.lock", {n: v for n, v in installed.items() if v})
    assert environment.check_lock(matching) == []
    wrong = _write_lock(tmp_path / "wrong.lock", {"numpy": "0.0.1", "Torch_Fidelity": "0.0.1", "six": "0.0.1"})
    drift = environment.check_lock(wrong)
    assert f"numpy {installed['numpy']} (lock 0.0.1)" in drift
    assert any(d.startswith("torch-fidelity ") and d.endswith("(lock 0.0.1)") for d in drift)
    assert not any(d.startswith("six") for d in drift)  # not a package the pipeline imports


def test_committed_lock_parses_and_installed_versions_match_metadata():
    from importlib import metadata

    pins = environment.read_lock(LOCK)
    assert pins["torch"] == "2.14.1" and "torch-fidelity" in pins and "scikit-learn" in pins
    for name, version in environment.installed_versions(environment.PIPELINE_PACKAGES).items():
        if version is not None:
            assert version == metadata.version(name)


def test_warn_lock_drift_prints_one_line_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(environment, "_warned", False)
    assert environment.warn_lock_drift(tmp_path) is False  # no lock: a library user, nothing said
    _write_lock(tmp_path / "requirements.lock", {"numpy": "0.0.1", "pandas": "0.0.1"})
    assert environment.warn_lock_drift(tmp_path) is True
    assert environment.warn_lock_drift(tmp_path) is False
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("ganpriors: warning: installed packages differ from requirements.lock: numpy ")
    assert "(lock 0.0.1)" in err and "pandas" in err
    assert err.rstrip().endswith("(pip install --require-hashes -r requirements.lock)")


def test_a_stage_warns_once_about_lock_drift(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(environment, "_warned", False)
    _write_lock(tmp_path / "requirements.lock", {"numpy": "0.0.1"})
    args = ["--params", str(tmp_path / "params.yaml"), "prepare", "--raw-dir", str(tmp_path / "raw"),
            "--out", str(tmp_path / "out.safetensors")]
    assert main(args) == 2  # no params file: the stage fails, after the warning
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("ganpriors: warning: installed packages differ") == 1
    assert main(["--params", str(tmp_path / "params.yaml"), "check"]) == 2  # not a stage: no check
    assert "warning" not in capsys.readouterr().err


def test_lock_check_is_cheap_and_does_not_import_torch(tmp_path):
    import subprocess
    import time

    code = ("import sys, time; t = time.perf_counter(); from ganpriors import environment; "
            f"environment.check_lock({str(LOCK)!r}); print(time.perf_counter() - t, 'torch' in sys.modules)")
    env = {"PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, **env}).stdout.split()
    assert out[1] == "False"
    assert float(out[0]) < 0.5, f"check_lock took {out[0]} s (budget 50 ms, generous here for a busy CI)"
    assert time.perf_counter() - start < 30


# ----------------------------------------------------------------------------- ganpriors env


def test_cli_env_against_its_own_output_is_bitwise(tmp_path, capsys):
    assert main(["env"]) == 0
    recorded = tmp_path / "env.json"
    recorded.write_text(capsys.readouterr().out)
    assert environment.find_fingerprint(json.loads(recorded.read_text())) is not None
    assert main(["env", "--against", str(recorded)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [f"bitwise: {environment.EXPECT['bitwise']}"]

    artefact = tmp_path / "train.json"
    document = json.loads(recorded.read_text())
    document["threads"]["torch"] += 1
    document["torch"]["version"] = "1.13.1"
    artefact.write_text(json.dumps({"run": "x", "environment": document}))
    assert main(["env", "--against", str(artefact)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("not comparable: ") and lines[0].startswith("torch.version: recorded 1.13.1")


def test_cli_env_against_a_file_without_a_fingerprint_fails_in_one_line(tmp_path, capsys):
    bad = tmp_path / "metrics.json"
    bad.write_text(json.dumps({"fid": 1.0}))
    assert main(["env", "--against", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no environment fingerprint" in err
