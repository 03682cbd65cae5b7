"""One-line errors for params.yaml, and the PyYAML/ruamel parity check.

pydantic reports every problem with a location tuple; the pipeline shows one (an unknown key
before the rest) as one line naming the key path, the value, and what is allowed or how to fix it.
"""
from __future__ import annotations

import math
import os
import re
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Optional, Sequence

from pydantic import BaseModel, ValidationError

from ganpriors import registry
from ganpriors.errors import GanpriorsError

# Keys whose value is a union tagged by `kind`: key -> the registry of kinds. Studies are tagged
# one level down (studies.<name>.<kind>).
_TAGGED = {"prior": registry.PRIORS, "dataset": registry.DATASETS}


def _is_tag(loc: tuple, i: int) -> bool:
    if i > 0 and loc[i] in _TAGGED.get(loc[i - 1], ()):
        return True
    return i > 1 and loc[i - 2] == "studies" and loc[i] in registry.STUDIES


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's discriminator tags (runs.x.prior.cauchy.scale -> runs.x.prior.scale)."""
    return tuple(p for i, p in enumerate(loc) if not _is_tag(loc, i))


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at the parent of `loc` (for 'unknown key' messages)."""
    current: Any = model
    parts = list(loc[:-1])
    while parts:
        part = parts.pop(0)
        tagged = _TAGGED.get(part)
        if tagged is not None and parts and parts[0] in tagged:
            current = tagged.spec(parts.pop(0))
            continue
        if part == "studies" and len(parts) >= 2 and parts[1] in registry.STUDIES:
            parts.pop(0)
            current = registry.STUDIES.spec(parts.pop(0))
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return []
        ann = fields[part].annotation
        current = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []


def _more(n: int) -> str:
    return f" (and {n} more problem(s))" if n > 0 else ""


def unknown_key(path: str, value: Any, allowed: list[str], missing: Sequence[str] = ()) -> tuple[str, Optional[str]]:
    """'unknown key ...' naming the closest allowed key (a missing one first: most likely the key
    meant), and that guess (None when no key is close)."""
    key = path.rsplit(".", 1)[-1]
    guess = next(iter(get_close_matches(key, missing, n=1) or get_close_matches(key, allowed, n=1)), None)
    text = f"unknown key {path} (value {value!r})"
    if guess is not None:
        return f"{text}: did you mean {guess}? (allowed keys here: {', '.join(allowed)})", guess
    return f"{text}; {'allowed keys here: ' + ', '.join(allowed) if allowed else 'remove it'}", None


def first_problem(errors: list[dict]) -> tuple[dict, list[str]]:
    """The problem to report: an unknown key before the rest (a misspelt key is also reported
    missing under its right name, and that would hide the cause); and the keys missing beside it."""
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    parent = _clean_loc(tuple(err["loc"]))[:-1]
    missing = [str(loc[-1]) for e in errors if e["type"] == "missing"
               for loc in [_clean_loc(tuple(e["loc"]))] if loc[:-1] == parent]
    return err, missing


def one_line(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> str:
    """The first problem of a validation error as one line: key path, value, what is allowed."""
    errors = exc.errors()
    err, missing = first_problem(errors)
    loc = _clean_loc(tuple(err["loc"]))
    path = ".".join(str(p) for p in ((prefix,) if prefix else ()) + loc)
    if err["type"] == "extra_forbidden":
        text, guess = unknown_key(path, err["input"], _allowed_keys(model, tuple(err["loc"])), missing)
        return f"params.yaml: {text}{_more(len(errors) - 1 - (guess in missing))}"  # renaming supplies it
    more = _more(len(errors) - 1)
    if err["type"] == "missing":
        return f"params.yaml: missing key {path}; add it (see the committed params.yaml for an example){more}"
    if err["type"] == "union_tag_invalid":
        what = loc[-1] if loc and loc[-1] in _TAGGED else ("study" if loc and loc[0] == "studies" else "prior")
        allowed = _TAGGED[what] if what in _TAGGED else registry.STUDIES
        return (f"params.yaml: {path}.kind = {err['input'].get('kind')!r}: unknown {what} "
                f"(allowed: {', '.join(allowed)}){more}")
    msg = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    if isinstance(value, str) and re.match(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$", value):
        msg += f"; PyYAML reads {value!r} as a string: write it with a decimal point (e.g. 2.0e-4)"
    if isinstance(value, dict) and (err["type"] == "value_error" or not path):
        # A check across several keys (a model validator): the message names them; the whole
        # sub-tree would bury it.
        return f"params.yaml: {path + ': ' if path else ''}{msg}{more}"
    return f"params.yaml: {path} = {value!r}: {msg}{more}"


def check_finite(tree: Any, source: str = "params.yaml", where: str = "") -> None:
    """Refuse .nan and .inf anywhere: no setting means them, and nan passes every comparison it is in
    (a learning rate of .inf is 'greater than 0')."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            check_finite(value, source, f"{where}.{key}" if where else str(key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            check_finite(value, source, f"{where}[{i}]")
    elif isinstance(tree, float) and not math.isfinite(tree):
        raise GanpriorsError(f"{source}: {where} = {tree!r}: not a finite number; write a finite value "
                             "(YAML reads .nan and .inf as floats, which no setting accepts)")


# Contents already found to read the same in both parsers: a user cache, never the workspace (a
# command refused for bad params writes nothing there).
PARITY_CHECKED = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganpriors" / "yaml-parity"


def yaml_parity(path: Path, pyyaml_data: Any, text: str | None = None) -> None:
    """Raise if ruamel (YAML 1.2, DVC) reads the file differently from PyYAML (YAML 1.1, Snakemake).

    ruamel's pure-Python parser is the slowest part of reading params.yaml (about 0.3 s), and every
    `snakemake -n` reads it: a content that passed once is remembered by its SHA-256."""
    import hashlib

    from importlib.metadata import version

    import yaml

    text = path.read_text() if text is None else text
    key = f"{yaml.__version__} {version('ruamel.yaml')}\n{text}"  # the verdict of these two parsers
    marker = PARITY_CHECKED / hashlib.sha256(key.encode()).hexdigest()
    if marker.is_file():
        return
    from ruamel.yaml import YAML, YAMLError

    try:
        ruamel_data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:  # PyYAML has read the file (the caller loaded it), ruamel cannot
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise GanpriorsError(f"{path}:{where}: ruamel (DVC) cannot read the file ({getattr(exc, 'problem', None) or exc}); "
                             "write it so that PyYAML (Snakemake) and ruamel both read it") from None

    def walk(a: Any, b: Any, where: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a:
                if key in b:
                    walk(a[key], b[key], f"{where}.{key}" if where else str(key))
            return
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{i}]")
            return
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return  # the same reading (nan != nan); validation refuses it with its own message
        if type(a) is not type(b) or a != b:
            raise GanpriorsError(
                f"{path}: {where}: PyYAML (Snakemake) reads {a!r} ({type(a).__name__}) but ruamel (DVC) reads "
                f"{b!r} ({type(b).__name__}); write floats as 2.0e-4 and booleans as true/false"
            )

    walk(pyyaml_data, ruamel_data, "")
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # a read-only checkout checks again next time
