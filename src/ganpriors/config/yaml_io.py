"""Reading params files: PyYAML's safe loader, refusing duplicate keys, errors as one line.

A mapping that repeats a key (two `runs:` blocks, a key written twice inside a run) is an error
here: PyYAML, which Snakemake uses, would silently keep the last one, and ruamel, which DVC uses,
refuses the file. The check runs while the loader constructs each mapping, on libyaml's parser
when PyYAML has it (the same resolver as Snakemake's, 10x faster than the pure-Python one).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from ganpriors.config.errors import yaml_parity
from ganpriors.errors import GanpriorsError

MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(ConstructorError):
    def __init__(self, key_path: str, first, second):
        super().__init__(None, None, f"duplicate key {key_path}", second)
        self.key_path, self.lines = key_path, (first.line + 1, second.line + 1)


class UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader, raising DuplicateKeyError for a key repeated in one mapping (at any depth).

    Each node's dotted path is recorded by its parent, which is always constructed first."""

    def __init__(self, stream):
        super().__init__(stream)
        self.paths: dict[int, str] = {}

    def construct_document(self, node):
        try:
            return super().construct_document(node)
        finally:
            self.paths.clear()

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            where, seen = self.paths.get(id(node), ""), {}
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    continue  # `<<:` merges: an explicit key may override a merged one
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    continue  # an unhashable key: the base class reports it
                path = f"{where}.{key}" if where else str(key)
                if first is not None:
                    raise DuplicateKeyError(path, first, key_node.start_mark)
                seen[key] = key_node.start_mark
                self.paths.setdefault(id(value_node), path)
        return super().construct_mapping(node, deep=deep)

    def construct_sequence(self, node, deep=False):
        if isinstance(node, yaml.SequenceNode):
            where = self.paths.get(id(node), "")
            for i, child in enumerate(node.value):
                self.paths.setdefault(id(child), f"{where}[{i}]")
        return super().construct_sequence(node, deep=deep)


def load_yaml(text: str, source: Path | str) -> Any:
    """The document in `text` (read from `source`, named in errors)."""
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)
    except DuplicateKeyError as exc:
        first, second = exc.lines
        where = f"twice on line {first}" if first == second else f"at lines {first} and {second}"
        raise GanpriorsError(
            f"{source}: duplicate key {exc.key_path} {where}; keep one (merge the two if "
            "both hold settings): Snakemake's PyYAML would silently use only the last, DVC's ruamel refuses the file"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise GanpriorsError(f"{source}:{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") from None


def read_yaml(path: Path | str) -> dict:
    """A params file's tree: checked to read the same under ruamel (DVC), overlays applied."""
    path = Path(path)
    if not path.is_file():
        raise GanpriorsError(f"{path}: not found; run from the repository root or pass --params PATH")
    text = path.read_text()
    raw = load_yaml(text, path)
    yaml_parity(path, raw, text)
    if isinstance(raw, dict) and "overlay_of" in raw:  # configs/quick*.yaml: changes to another file
        from ganpriors.config.overlay import apply_overlay

        return apply_overlay(path)
    return raw
