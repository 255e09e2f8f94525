"""Finding the user's functions from the command line: ``package.module:function`` or ``path/to/file.py:function``.

A file is loaded as a module of its own (named after the file, under
``queuesim_race_targets``), with its folder first on ``sys.path`` while it loads, so
it can import its neighbours. A module is imported with the current folder on
``sys.path``, as ``python -m queuesim`` has it. Any failure (no such file or module, an exception or
a syntax error while importing, no such function, not callable) is a
:class:`~queuesim.race.RaceError` whose message names the spec and the cause.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from queuesim.race.errors import RaceError

__all__ = ["load_function", "split_spec"]

_PACKAGE = "queuesim_race_targets"


def split_spec(spec: str) -> tuple[str, str]:
    """``("where", "function")`` from ``where:function``.

    Raises:
        RaceError: no ``:``, or an empty side.
    """
    where, colon, name = spec.rpartition(":")
    if not colon or not where or not name:
        raise RaceError(f"{spec!r} is not MODULE:FUNCTION or path/to/file.py:FUNCTION")
    return where, name


def _is_path(where: str) -> bool:
    return where.endswith(".py") or "/" in where or "\\" in where


@contextlib.contextmanager
def _folder_on_path(folder: str) -> Iterator[None]:
    """``folder`` first on ``sys.path`` while the block runs (unless it is there already)."""
    if folder in sys.path:
        yield
        return
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        if folder in sys.path:
            sys.path.remove(folder)


def _load_file(where: str) -> ModuleType:
    path = Path(where).expanduser()
    if not path.is_file():
        raise RaceError(f"no such file: {where}")
    path = path.resolve()
    digest = hashlib.blake2b(str(path).encode(), digest_size=4).hexdigest()
    name = f"{_PACKAGE}.{path.stem.replace('-', '_')}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RaceError(f"cannot load {where} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _folder_on_path(str(path.parent)):
            spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise RaceError(f"importing {where} raised {type(exc).__name__}: {exc}") from exc
    return module


def _load_module(where: str) -> ModuleType:
    try:
        with _folder_on_path(os.getcwd()):  # as `python -m queuesim` has it (the installed script has its own folder)
            return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (where == exc.name or where.startswith(exc.name + ".")):
            raise RaceError(f"no module named {where!r} (for a file, give its path ending in .py)") from exc
        raise RaceError(f"importing {where} raised ModuleNotFoundError: {exc}") from exc
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise RaceError(f"importing {where} raised {type(exc).__name__}: {exc}") from exc


def load_function(spec: str, *, default_module: str | None = None) -> Any:
    """The callable named by ``spec``: ``package.module:function``, ``path/to/file.py:function``.

    A bare ``function`` (no ``:``) is looked up in ``default_module`` (the target's
    spec, for ``--setup`` and ``--invariant``). ``function`` may be dotted
    (``module:Class.method``).

    Raises:
        RaceError: the module or file cannot be loaded, or has no such callable.
    """
    if ":" not in spec and default_module is not None:
        spec = f"{default_module}:{spec}"
    where, name = split_spec(spec)
    module = _load_file(where) if _is_path(where) else _load_module(where)
    value: Any = module
    for part in name.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise RaceError(f"{where} has no {name!r}") from None
    if not callable(value):
        kind = type(value).__name__
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        raise RaceError(f"{spec} is {article} {kind}, not a function")
    return value
