"""The base of every settings schema and component spec (pydantic, torch-free).

Settings are strict (no type coercion: PyYAML and ruamel must agree on what a value is), closed
(an unknown key is an error) and frozen. A component spec also names its implementation (`impl`,
"module:attribute", resolved lazily by ganpriors.registry) and checks a resolved run for
combinations it cannot serve (`check`), so that no general module has to know about it.
"""
from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Component(Strict):
    impl: ClassVar[str]

    def check(self, run) -> None:
        """Raise ValueError when this component cannot be used in `run` (a ResolvedRun)."""


class PinnedWeights(Strict):
    """Weights shipped with the package (src/ganpriors/weights/<name>.safetensors), checked by SHA-256."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
