"""The environment a result was produced in, and whether another one can reproduce it.

`fingerprint()` describes this process's numerical environment as a JSON-serialisable dict with
no timestamps or paths (the same machine and install give the same dict): Python, the platform,
the torch build and its backend libraries (CUDA, cuDNN, MKL/oneDNN, OpenMP, BLAS/LAPACK), NumPy and
its BLAS, the CPU's model and SIMD instruction-set flags, torch's CPU capability, the GPU, the
thread counts and the versions of the packages that compute the numbers.

`compare(recorded, current)` says what to expect when `current` reruns what `recorded` produced:

| verdict          | when                                                                          |
|------------------|-------------------------------------------------------------------------------|
| "not comparable" | a different torch release line (major.minor: 2.13 vs 2.14), or another device  |
|                  | kind (CPU vs CUDA)                                                            |
| "tolerance"      | the same torch release line, but anything else that can move the bits differs: |
|                  | torch build (patch, local tag, commit), CUDA/cuDNN or GPU (CUDA runs), CPU     |
|                  | vendor, SIMD flags or torch CPU capability, NumPy or its BLAS, a thread count, |
|                  | Python, the platform, or the version of torchvision, torch-fidelity, scipy,    |
|                  | scikit-learn or safetensors; results agree within the measured tolerance      |
| "bitwise"        | none of the above differs (same torch build, same CPU instruction set or same |
|                  | GPU, same thread counts, same NumPy and BLAS): identical bits are expected    |

Keys that cannot move the bits are informational and never compared: the CPU model name, the
number of CPUs, the thread-count environment variables (their effect is in the counts), and the
CUDA/cuDNN/GPU entries of a CPU run. A key recorded on one side only counts as a difference.

`check_lock(path)` lists the packages the pipeline imports whose installed version differs from
the lock file's pin; `warn_lock_drift(root)` says so once per process, on one stderr line. Both are
cheap (no torch import); torch is imported only inside `fingerprint()`.
"""
from __future__ import annotations

import json
import os
import platform
import re
import sys
from pathlib import Path

FORMAT = 1
LOCK_NAME = "requirements.lock"

# The packages whose versions the fingerprint records (they compute or feed the numbers).
KEY_PACKAGES = ("torch", "torchvision", "torch-fidelity", "numpy", "scipy", "scikit-learn", "safetensors")

# The packages the pipeline imports, checked against the lock when a stage starts.
PIPELINE_PACKAGES = ("torch", "torchvision", "torch-fidelity", "numpy", "safetensors", "scipy",
                     "scikit-learn", "pandas", "matplotlib", "pydantic")

# /proc/cpuinfo flags that select SIMD code paths (x86 and Arm).
_SIMD = re.compile(r"^(sse\d\w*|ssse3|avx\w*|fma\d?|f16c|amx\w*|xop|gfni|vaes|vpclmulqdq|pclmulqdq|aes|"
                   r"sha_ni|bmi\d|adx|popcnt|movbe|asimd\w*|sve\w*|(?!smep$)sme\w*|fphp|bf16|i8mm|fp16)$")

# Lines of torch.__config__.show() that name the backend libraries.
_CONFIG_LINE = re.compile(r"BLAS|LAPACK|MKL|Math Kernel|OpenMP|oneDNN|NNPACK|CPU capability", re.I)
_BUILD_KEYS = ("BLAS_INFO", "LAPACK_INFO", "COMMIT_SHA", "CUDA_VERSION", "CUDNN_VERSION", "USE_MKL",
               "USE_MKLDNN", "USE_OPENMP", "TORCH_VERSION")

_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS",
             "ATEN_CPU_CAPABILITY", "CUBLAS_WORKSPACE_CONFIG")


# ----------------------------------------------------------------------------- fingerprint

def _cpu() -> dict:
    info: dict = {"vendor": None, "model": platform.processor() or None, "flags": []}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    first = text.split("\n\n", 1)[0]
    fields = {}
    for line in first.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    info["vendor"] = fields.get("vendor_id") or fields.get("CPU implementer")
    info["model"] = fields.get("model name") or fields.get("CPU part") or info["model"]
    flags = (fields.get("flags") or fields.get("Features") or "").split()
    info["flags"] = sorted({f for f in flags if _SIMD.match(f)})
    return info


def _cpus() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def _version(dist: str) -> str | None:
    from importlib import metadata  # about 30 ms to import: kept out of the lock check

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def installed_versions(names) -> dict[str, str | None]:
    """{name: installed version or None}, read from the `name-version.dist-info` folders on sys.path
    (the first one wins, as for imports), with importlib.metadata only for names not found there."""
    wanted = {_canonical(n): n for n in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            listing = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for item in listing:
            if item.endswith(".dist-info"):
                name, _, version = item[: -len(".dist-info")].rpartition("-")
                key = _canonical(name)
                if key in wanted and key not in found:
                    found[key] = version
    return {n: found.get(_canonical(n)) or _version(n) for n in names}


def _torch_config(torch) -> tuple[list[str], dict]:
    try:
        shown = torch.__config__.show()
    except Exception:  # noqa: BLE001 - a build without the config string
        return [], {}
    lines, build = [], {}
    for raw in shown.splitlines():
        line = raw.strip().lstrip("- ").strip()
        if line.startswith("Build settings:"):
            for item in line[len("Build settings:"):].split(", "):
                key, _, value = item.partition("=")
                if key.strip() in _BUILD_KEYS:
                    build[key.strip()] = value.strip()
        elif line and _CONFIG_LINE.search(line):
            lines.append(line)
    return lines, dict(sorted(build.items()))


def _numpy_blas(np) -> dict:
    blas: dict = {"build": None, "simd": None, "runtime": None}
    try:
        config = np.show_config(mode="dicts")
        dep = config["Build Dependencies"]["blas"]
        blas["build"] = f"{dep.get('name')} {dep.get('version')}".strip()
        blas["simd"] = sorted(config.get("SIMD Extensions", {}).get("found", []))
    except Exception:  # noqa: BLE001 - NumPy < 1.25 has no mode="dicts"
        pass
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return blas
    numpy_dir = Path(np.__file__).resolve().parent
    for pool in sorted(threadpool_info(), key=lambda p: p.get("filepath", "")):
        path = Path(pool.get("filepath", ""))
        # numpy's own BLAS: inside numpy/ or the wheel's numpy.libs/ beside it
        if pool.get("user_api") == "blas" and (numpy_dir in path.parents or path.parent.name == "numpy.libs"):
            blas["runtime"] = {k: pool.get(k) for k in ("internal_api", "version", "threading_layer", "architecture")}
            blas["threads"] = pool.get("num_threads")
            break
    return blas


def fingerprint(device: str | None = None) -> dict:
    """This process's numerical environment (see the module docstring); `device` is the device the
    work runs on ("cpu" or "cuda"; None: CUDA when available, as `device: auto` does)."""
    import numpy as np
    import torch

    cuda = torch.cuda.is_available()
    kind = (device or ("cuda" if cuda else "cpu")).split(":")[0]
    config_lines, build = _torch_config(torch)
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    capability = getattr(torch.backends, "cpu", None)
    gpu = None
    if cuda:
        props = torch.cuda.get_device_properties(0)
        gpu = {"name": props.name, "capability": f"{props.major}.{props.minor}",
               "count": torch.cuda.device_count()}
    np_blas = _numpy_blas(np)
    return {
        "format": FORMAT,
        "device": kind,
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation()},
        "platform": {"system": platform.system(), "machine": platform.machine(),
                     "libc": " ".join(platform.libc_ver()).strip() or None},
        "torch": {
            "version": torch.__version__,
            "git_version": getattr(torch.version, "git_version", None),
            "debug": bool(getattr(torch.version, "debug", False)),
            "cuda": torch.version.cuda,
            "hip": getattr(torch.version, "hip", None),
            "cudnn": cudnn,
            "mkl": torch.backends.mkl.is_available(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "openmp": torch.backends.openmp.is_available(),
            "cpu_capability": capability.get_cpu_capability() if capability else None,
            "build": build,
            "config": config_lines,
        },
        "numpy": {"version": np.__version__, "blas": np_blas["build"], "blas_runtime": np_blas["runtime"],
                  "simd": np_blas["simd"]},
        "cpu": _cpu(),
        "gpu": gpu,
        "threads": {
            "torch": torch.get_num_threads(),
            "torch_interop": torch.get_num_interop_threads(),
            "numpy_blas": np_blas.get("threads"),
            "cpus": _cpus(),
            "env": {k: os.environ.get(k) for k in _THREAD_ENV},
        },
        "env": {k: os.environ.get(k) for k in _BLAS_ENV},
        "packages": installed_versions(KEY_PACKAGES),
    }


# ----------------------------------------------------------------------------- compare

BITWISE, TOLERANCE, NOT_COMPARABLE = "bitwise", "tolerance", "not comparable"

# Informational keys (dotted prefixes): never compared.
_INFO = ("format", "cpu.model", "threads.cpus", "threads.env", "packages.torch", "packages.numpy")
# Compared only when both sides ran on CUDA.
_CUDA_ONLY = ("torch.cuda", "torch.hip", "torch.cudnn", "torch.build.CUDA_VERSION", "torch.build.CUDNN_VERSION", "gpu")


def _flatten(tree, prefix="") -> dict:
    if isinstance(tree, dict) and tree:
        out = {}
        for key in sorted(tree):
            out.update(_flatten(tree[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: tree}


def _under(key: str, prefixes) -> bool:
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def _release_line(version) -> tuple | None:
    match = re.match(r"(\d+)\.(\d+)", str(version or ""))
    return (int(match[1]), int(match[2])) if match else None


def _show(value) -> str:
    if value is None:
        return "none"
    return value if isinstance(value, str) else json.dumps(value)


def _difference(key, old, new) -> str:
    if isinstance(old, list) and isinstance(new, list):
        lost, gained = [v for v in old if v not in new], [v for v in new if v not in old]
        parts = ([f"recorded only {', '.join(map(str, lost))}"] if lost else []) + \
                ([f"current only {', '.join(map(str, gained))}"] if gained else [])
        if parts:
            return f"{key}: {'; '.join(parts)}"
    return f"{key}: recorded {_show(old)}, current {_show(new)}"


def compare(recorded: dict, current: dict) -> tuple[str, list[str]]:
    """(verdict, reasons): what to expect when `current` reruns what `recorded` produced (the rule is
    the table in the module docstring); each reason names a key and both values."""
    hard, soft = [], []
    old_device, new_device = recorded.get("device"), current.get("device")
    if old_device != new_device:
        hard.append(f"device: recorded {_show(old_device)}, current {_show(new_device)} (CPU and GPU results differ)")
    old_line = _release_line(recorded.get("torch", {}).get("version"))
    new_line = _release_line(current.get("torch", {}).get("version"))
    if old_line != new_line:
        hard.append(f"torch.version: recorded {_show(recorded.get('torch', {}).get('version'))}, "
                    f"current {_show(current.get('torch', {}).get('version'))} (a different torch release)")
    cuda_run = old_device == new_device == "cuda"
    old, new = _flatten(recorded), _flatten(current)
    for key in sorted(set(old) | set(new)):
        if key == "device" or (key == "torch.version" and old_line != new_line):
            continue
        if _under(key, _INFO) or (not cuda_run and _under(key, _CUDA_ONLY)):
            continue
        a, b = old.get(key), new.get(key)
        if a != b:
            soft.append(_difference(key, a, b) + (" (not recorded)" if key not in old else ""))
    if hard:
        return NOT_COMPARABLE, hard + soft
    return (TOLERANCE, soft) if soft else (BITWISE, [])


EXPECT = {
    BITWISE: "the same environment: expect bitwise-identical results",
    TOLERANCE: "the same torch release line in a different environment: expect results within the measured "
               "tolerance, not identical bits",
    NOT_COMPARABLE: "a different torch release or device: identical numbers are not guaranteed (torch 2.9.1 and "
                    "2.14.1 were measured to train and score one full run bit for bit alike on one x86-64 CPU, "
                    "README 'Two commands'); rerun the pipeline here to get this environment's results",
}


def find_fingerprint(tree) -> dict | None:
    """The fingerprint in a JSON document: the document itself, or the first `environment` entry
    holding one (depth first, keys in order)."""
    if isinstance(tree, dict):
        if "torch" in tree and "python" in tree and "device" in tree:
            return tree
        env = tree.get("environment")
        if isinstance(env, dict) and find_fingerprint(env) is env:
            return env
        children = tree.values()
    elif isinstance(tree, list):
        children = tree
    else:
        return None
    for child in children:
        found = find_fingerprint(child)
        if found is not None:
            return found
    return None


# ----------------------------------------------------------------------------- the lock

def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path) -> dict[str, str]:
    """{canonical name: pinned version} of a pip-compile lock file (`name==version` lines)."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pins[_canonical(match[1])] = match[2]
    return pins


def _same_version(installed: str, pinned: str) -> bool:
    if installed == pinned:
        return True
    try:
        from packaging.version import Version
    except ImportError:
        return False
    try:
        return Version(installed) == Version(pinned)
    except ValueError:
        return False


def check_lock(lock_path, packages=PIPELINE_PACKAGES) -> list[str]:
    """'name installed (lock pinned)' for each of `packages` pinned in the lock whose installed
    distribution differs from the pin (or is missing)."""
    pins = read_lock(lock_path)
    pinned_names = [name for name in packages if _canonical(name) in pins]
    installed_all = installed_versions(pinned_names)
    drift = []
    for name in pinned_names:
        pinned = pins[_canonical(name)]
        installed = installed_all[name]
        if installed is None:
            drift.append(f"{name} not installed (lock {pinned})")
        elif not _same_version(installed, pinned):
            drift.append(f"{name} {installed} (lock {pinned})")
    return drift


_warned = False


def warn_lock_drift(repo_root, stream=None) -> bool:
    """One stderr line, at most once per process, when the installed packages differ from
    `repo_root`/requirements.lock; nothing when there is no lock there (a library user).
    True when it warned."""
    global _warned
    if _warned:
        return False
    lock = Path(repo_root) / LOCK_NAME
    if not lock.is_file():
        return False
    try:
        drift = check_lock(lock)
    except OSError:
        return False
    if not drift:
        return False
    _warned = True
    print(f"ganpriors: warning: installed packages differ from {LOCK_NAME}: {', '.join(drift)}; results may "
          f"not reproduce the committed numbers (pip install --require-hashes -r {LOCK_NAME})",
          file=stream or sys.stderr)
    return True
