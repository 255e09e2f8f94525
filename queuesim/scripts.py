"""Lua scripts: read once from ``queuesim/lua/``, called by SHA, loaded per server on demand.

A script is a value (name, source, SHA1). Calling it makes a :class:`ScriptCall`,
a step a conversation yields; the driver sends ``EVALSHA`` and loads the source
into the server only when the server answers ``NOSCRIPT``. Nothing here holds a
client, so there is no cache to leak between connections or tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = ["Script", "ScriptCall", "load_script"]


@dataclass(frozen=True, slots=True)
class Script:
    """A Lua script: its name, its source and the SHA1 the server knows it by."""

    name: str
    source: str = field(repr=False)
    sha: str = field(repr=False)

    @classmethod
    def from_source(cls, name: str, source: str) -> Script:
        """A script made from Lua source text."""
        return cls(name, source, hashlib.sha1(source.encode()).hexdigest())

    def __call__(self, keys: Sequence[str], args: Sequence[Any] = ()) -> ScriptCall:
        """The step that runs this script with ``keys`` (declared KEYS) and ``args`` (ARGV)."""
        return ScriptCall(self, tuple(keys), tuple(args))


@dataclass(frozen=True, slots=True)
class ScriptCall:
    """One atomic step: run ``script`` with these KEYS and ARGV."""

    script: Script
    keys: tuple[str, ...]
    args: tuple[Any, ...]

    def command(self) -> tuple[Any, ...]:
        """The ``EVALSHA`` command this step sends."""
        return ("EVALSHA", self.script.sha, len(self.keys), *self.keys, *self.args)


def load_script(name: str, *, prelude: str | None = None) -> Script:
    """The script ``queuesim/lua/<name>.lua`` shipped inside the package.

    Args:
        name: the file name without ``.lua``.
        prelude: the name of a helper file (e.g. ``"_prelude"``) whose local
            functions are put in front of the script, so scripts can share
            helpers without a build step.
    """
    folder = resources.files("queuesim.lua")
    source = folder.joinpath(f"{name}.lua").read_text(encoding="utf-8")
    if prelude is not None:
        source = folder.joinpath(f"{prelude}.lua").read_text(encoding="utf-8") + "\n" + source
    return Script.from_source(name, source)
