"""Overlays: a params file written as the changes to another (configs/quick*.yaml on params.yaml).

An overlay is a JSON merge patch (RFC 7386) in YAML: mappings merge key by key, `null` deletes a
key (a run, a study, or an override so that the default applies), any other value replaces. Both
tools read a single params.yaml, so an overlay is applied once, to a file (`ganpriors params
--overlay configs/quick.yaml --out params.yaml`), written in the style of the committed params.yaml
(sections and runs as blocks, settings as flow mappings, floats with a decimal point).
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from ganpriors.errors import GanpriorsError

OVERLAY_KEY = "overlay_of"  # an overlay names the file it changes (relative to the overlay)


def merge_patch(base: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def apply_overlay(overlay_path: Path | str) -> dict:
    """The params tree of an overlay applied to the file it names."""
    import json

    from ganpriors.config.errors import yaml_parity
    from ganpriors.config.yaml_io import load_yaml, read_yaml

    overlay_path = Path(overlay_path)
    patch = load_yaml(overlay_path.read_text(), overlay_path)  # duplicate keys refused, as in params.yaml
    if not isinstance(patch, dict) or not isinstance(patch.get(OVERLAY_KEY), str):
        raise GanpriorsError(f"{overlay_path}: not an overlay (no '{OVERLAY_KEY}: <params file>' key)")
    yaml_parity(overlay_path, patch)
    base_path = (overlay_path.parent / patch.pop(OVERLAY_KEY)).resolve()
    if not base_path.is_file():
        raise GanpriorsError(f"{overlay_path}: {OVERLAY_KEY} names {base_path}, which does not exist")
    base = json.loads(json.dumps(read_yaml(base_path)))  # anchors expanded: a patch changes one run
    return merge_patch(base, patch)


class _Dumper(yaml.SafeDumper):
    pass


def _float(dumper, value: float):
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:
        text = text.replace("e", ".0e")  # 1e-05 is a string to PyYAML
    if text in ("inf", "-inf", "nan"):
        text = {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}[text]
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_Dumper.add_representer(float, _float)
_Dumper.ignore_aliases = lambda self, data: True  # expanded: an overlay's result shares nothing


def _styled(node: yaml.Node, depth: int) -> None:
    """Blocks for the sections, their entries and a run's keys; flow mappings below."""
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        node.flow_style = depth >= 3 or (isinstance(node, yaml.SequenceNode) and depth >= 1)
        children = ([v for _, v in node.value] if isinstance(node, yaml.MappingNode) else node.value)
        for child in children:
            _styled(child, depth + 1)


def dump_params(tree: dict, header: str = "") -> str:
    node = _Dumper(None, sort_keys=False).represent_data(tree)
    _styled(node, 0)
    body = yaml.serialize(node, Dumper=_Dumper, width=1 << 20)  # no folded flow mappings
    return header + body
