"""The Lua state a FastStore lives in: LuaJIT (or Lua 5.1) through lupa, with the store's Lua files loaded.

The keyspace and every command are Lua code (``lua/*.lua``), so a script's ``redis.call``
is a plain Lua function call: no crossing into Python per command, which in lupa costs
about a microsecond and would dominate a script like ``claim.lua`` (about 15 calls).
Python calls into Lua once per client command, script call or pipeline.

The few things Lua cannot do well are host helpers written in Python: exact 64-bit
integer arithmetic beyond 2^53 and SHA1.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from importlib import resources
from typing import Any

__all__ = ["LUA_FILES", "LuaStore", "lua_runtime_class"]

#: The store's Lua files, in load order (each registers its commands on the shared table).
LUA_FILES = (
    "core",
    "strings",
    "generic",
    "hashes",
    "lists",
    "sets",
    "zsets",
    "streams",
    "transactions",
    "cjson",
    "scripting",
)

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def _import_luajit() -> Any:
    """lupa's LuaJIT module, loaded so that it binds to its own Lua C API.

    fakeredis imports ``lupa.lua51`` with ``RTLD_GLOBAL``, which puts PUC Lua 5.1's
    ``lua_*`` symbols in the process's global scope; a LuaJIT module loaded after that
    would call some of them (its ``luaL_openlibs`` opens 5.1's libraries, without
    ``jit``: the JIT compiler stays off). ``RTLD_DEEPBIND`` makes the module look up
    its own symbols first.
    """
    name = "lupa.luajit21"
    if name in sys.modules:
        return sys.modules[name]
    flags = sys.getdlopenflags()
    sys.setdlopenflags(flags | getattr(os, "RTLD_DEEPBIND", 0))
    try:
        return importlib.import_module(name)
    finally:
        sys.setdlopenflags(flags)


def lua_runtime_class() -> Any:
    """lupa's LuaJIT 2.1 runtime class, else Lua 5.1's (the Lua dialect Redis runs).

    LuaJIT is used only if a runtime made from it really is LuaJIT with its JIT on
    (see :func:`_import_luajit`).
    """
    try:
        luajit = _import_luajit()
    except ImportError:  # pragma: no cover - depends on the lupa build
        luajit = None
    if luajit is not None and luajit.LuaRuntime().eval("type(jit) == 'table' and jit.status()"):
        return luajit.LuaRuntime
    from lupa import lua51  # pragma: no cover - only when LuaJIT is missing or was loaded unsafely

    return lua51.LuaRuntime  # pragma: no cover


def _int64_ok(text: str) -> bool:
    return _INT64_MIN <= int(text) <= _INT64_MAX


def _add_int64(a: str, b: str) -> str | None:
    total = int(a) + int(b)
    if not _INT64_MIN <= total <= _INT64_MAX:
        return None
    return str(total)


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


_LOADER = """
function(source, name, ...)
  local chunk, err = loadstring(source, '=' .. name)
  if chunk == nil then error(err, 0) end
  return chunk(...)
end
"""


class LuaStore:
    """One Lua state holding a keyspace; :meth:`serve` runs commands in it.

    Args:
        jit: turn LuaJIT's trace compiler on (off by default: slower here, see below).

    ``serve(conn_id, now, *args)`` runs one command; ``serve_many(conn_id, now, count,
    argc1, *args1, argc2, *args2, ...)`` several in a row; ``close(conn_id)`` forgets a
    connection's WATCH and MULTI state. Replies come back as described in ``core.lua``
    (:func:`queuesim.sim.fast_store.replies.decode` reads them).
    """

    __slots__ = ("close", "lua", "serve", "serve_many", "serve_many_table", "serve_table", "state")

    def __init__(self, *, jit: bool = False) -> None:
        runtime = lua_runtime_class()(
            encoding="utf-8", register_eval=False, register_builtins=False, unpack_returned_tuples=True
        )
        self.lua = runtime
        if not jit:
            # Measured: on this workload (short, branchy script runs entered from C) LuaJIT's
            # interpreter is 2-4x faster than with its trace compiler on (bench/sim_driver.py).
            runtime.execute("if jit then jit.off() end")
        host = runtime.table_from({"int64_ok": _int64_ok, "add_int64": _add_int64, "sha1": _sha1})
        loader = runtime.eval(_LOADER)
        folder = resources.files("queuesim.sim.fast_store").joinpath("lua")
        state: Any = None
        for name in LUA_FILES:
            source = folder.joinpath(f"{name}.lua").read_text(encoding="utf-8")
            if state is None:
                state = loader(source, f"{name}.lua", host)
            else:
                loader(source, f"{name}.lua", state)
        self.state = state
        self.serve = state.serve
        self.serve_many = state.serve_many
        self.serve_table = state.serve_table
        self.serve_many_table = state.serve_many_table
        self.close = state.close

    def __repr__(self) -> str:
        return f"<LuaStore {self.lua.eval('jit and jit.version or _VERSION')}>"
