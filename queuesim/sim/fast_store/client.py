"""FastStore and its connections: redis-py clients (and pipelines) whose server is a Lua state in this process.

:class:`FastClient` is a ``redis.Redis`` whose ``execute_command`` runs the command in the
store instead of sending it over a socket, then applies redis-py's own response callbacks,
so every redis-py method (``hgetall``, ``xrange``, ``zadd``, ``config_get``, ...) and every
``execute_command`` reply is what redis-py gives for a real server. Each client is one
connection: ``WATCH`` and ``MULTI`` state lives on it. :class:`FastPipeline` is a
``redis.client.Pipeline`` on its client's connection (WATCH, immediate mode,
``multi()``, ``execute(raise_on_error=...)``, ``WatchError``), as SimStore's direct
clients behave: give each simulated client that uses WATCH its own FastClient.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis
from redis._parsers.encoders import Encoder
from redis.client import EMPTY_RESPONSE, NEVER_DECODE, CaseInsensitiveDict, Pipeline
from redis.exceptions import ExecAbortError, ResponseError, WatchError

from queuesim.sim.fast_store.replies import decode, encode_args, to_bytes
from queuesim.sim.fast_store.runtime import LuaStore

__all__ = ["FastClient", "FastPipeline", "FastStore"]

_CALLBACKS: CaseInsensitiveDict | None = None
#: Longer argument lists go to Lua in a table (Lua's C stack takes about 8000 values).
_MAX_ARGS = 4000


def _default_callbacks() -> CaseInsensitiveDict:
    """redis-py's RESP2 response callbacks (read once from a client that never connects)."""
    global _CALLBACKS
    if _CALLBACKS is None:
        _CALLBACKS = redis.Redis().response_callbacks
    return _CALLBACKS


def _split_name(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``("CONFIG GET", x)`` as redis-py sends it: ``("CONFIG", "GET", x)``."""
    name = args[0]
    if isinstance(name, str) and " " in name:
        return (*name.split(), *args[1:])
    return args


class FastStore:
    """An in-process Redis (a subset: see :mod:`queuesim.sim.fast_store`) running the real Lua scripts.

    Args:
        clock: returns the current time in seconds (e.g. ``SimClock(env).time``); key
            expiry and stream ids ``*`` follow it. The wall clock when omitted.
        jit: run LuaJIT's trace compiler (off by default: its interpreter is faster on
            this workload; ``bench/sim_driver.py --jit`` compares).
    """

    __slots__ = ("_ids", "clock", "lua")

    def __init__(self, clock: Callable[[], float] = time.time, *, jit: bool = False) -> None:
        if not callable(clock):
            raise TypeError(f"clock must be a callable returning seconds, got {clock!r}")
        self.clock = clock
        self.lua = LuaStore(jit=jit)
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"<FastStore t={self.clock():.6f}s>"

    def client(self, *, decode_responses: bool = True, direct: bool = True) -> FastClient:
        """A new connection to this store.

        Args:
            decode_responses: return ``str`` rather than ``bytes``.
            direct: accepted for :class:`~queuesim.sim.SimStore` compatibility; every
                FastStore client is direct.
        """
        return FastClient(self, decode_responses=decode_responses)

    def new_connection_id(self) -> int:
        """A fresh connection id (WATCH and MULTI state are kept per id)."""
        return next(self._ids)

    def serve(self, conn_id: int, words: Sequence[Any]) -> Any:
        """Run encoded command words; the store's reply tokens."""
        if len(words) > _MAX_ARGS:  # too many for Lua's C stack: hand them over in a table
            return self.lua.serve_table(conn_id, self.clock(), self.lua.lua.table_from(words), len(words))
        return self.lua.serve(conn_id, self.clock(), *words)

    def run(self, conn_id: int, args: tuple[Any, ...]) -> Any:
        """One command's raw reply on connection ``conn_id`` (an error reply comes back as an exception instance)."""
        res = self.serve(conn_id, encode_args(_split_name(args)))
        if type(res) is tuple:
            return decode(res)
        return None if res is False else res

    def run_many(self, conn_id: int, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Several commands in a row on one connection; their raw replies (errors in place)."""
        flat: list[Any] = []
        for args in commands:
            words = encode_args(_split_name(args))
            flat.append(len(words))
            flat.extend(words)
        if len(flat) > _MAX_ARGS:
            table = self.lua.lua.table_from(flat)
            res = self.lua.serve_many_table(conn_id, self.clock(), len(commands), table)
        else:
            res = self.lua.serve_many(conn_id, self.clock(), len(commands), *flat)
        replies: list[Any] = decode(res) if type(res) is tuple else []
        return replies

    def close_connection(self, conn_id: int) -> None:
        """Forget a connection's WATCHes and MULTI state."""
        self.lua.close(conn_id)


class FastClient(redis.Redis):
    """A redis-py client connected to a :class:`FastStore` (one connection; not thread-safe)."""

    def __init__(self, store: FastStore, *, decode_responses: bool = True) -> None:
        # redis.Redis.__init__ builds a connection pool (half a millisecond); nothing here needs one.
        self.store = store
        self.connection = None
        self.connection_pool = None  # type: ignore[assignment]
        self.auto_close_connection_pool = False
        self.response_callbacks = _default_callbacks()
        self._own_callbacks = False
        self._decode = decode_responses
        self._id = store.new_connection_id()
        self._serve = store.lua.serve
        self._clock = store.clock
        self._callback_cache: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"<FastClient #{self._id} of {self.store!r}>"

    def __del__(self) -> None:
        pass

    def set_response_callback(self, command: str, callback: Callable[..., Any]) -> None:
        """Set a custom response callback for ``command`` (on this client only)."""
        if not self._own_callbacks:
            self.response_callbacks = CaseInsensitiveDict(dict(self.response_callbacks))
            self._own_callbacks = True
        self.response_callbacks[command] = callback
        self._callback_cache.clear()

    def get_encoder(self) -> Encoder:
        """The encoder redis-py helpers (e.g. registered scripts) use."""
        return Encoder("utf-8", "strict", self._decode)

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Run one command in the store; the reply as redis-py returns it."""
        name = args[0]
        words = encode_args(_split_name(args) if type(name) is not str or " " in name else args)
        if len(words) > _MAX_ARGS:
            res = self.store.serve(self._id, words)
        else:
            res = self._serve(self._id, self._clock(), *words)
        if type(res) is tuple:
            res = decode(res)
            if isinstance(res, ResponseError):
                if EMPTY_RESPONSE in options:
                    return options[EMPTY_RESPONSE]
                raise res
        elif res is False:
            res = None
        return self._callback(name, res, options)

    def _callback(self, name: Any, res: Any, options: dict[str, Any]) -> Any:
        if not self._decode or (options and NEVER_DECODE in options):
            res = to_bytes(res)
        if options:
            options.pop(EMPTY_RESPONSE, None)
            options.pop(NEVER_DECODE, None)
            options.pop("keys", None)
        try:
            callback = self._callback_cache[name]
        except KeyError:
            callbacks = self.response_callbacks
            known = isinstance(name, str) and name in callbacks
            callback = self._callback_cache[name] = callbacks[name] if known else None
        if callback is None:
            return res
        return callback(res, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> FastPipeline:
        """A pipeline on a connection of its own (``transaction=True``: MULTI/EXEC)."""
        return FastPipeline(self, transaction)

    def pubsub(self, **kwargs: Any) -> Any:
        """Not available: nobody can subscribe to a FastStore."""
        raise NotImplementedError("a FastStore has no pub/sub; PUBLISH reaches no subscriber")

    def close(self) -> None:
        """Drop this connection's WATCH and MULTI state."""
        self.store.close_connection(self._id)


class FastPipeline(Pipeline):
    """redis-py's pipeline on its client's connection (a simulated client is one connection).

    So a ``WATCH`` sent by the client covers the pipeline's ``EXEC``, as with
    :class:`~queuesim.sim.SimStore`'s direct clients, and a ``WATCH`` sent through the
    pipeline (immediate mode, as the stock service's driver does) lives on that
    connection until ``EXEC``, ``UNWATCH`` or :meth:`reset`.
    """

    def __init__(self, client: FastClient, transaction: bool) -> None:
        super().__init__(None, client.response_callbacks, transaction, None)  # type: ignore[arg-type]
        self.owner = client
        self.store = client.store
        self.conn_id = client._id
        self._atomic = transaction

    def __repr__(self) -> str:
        return f"<FastPipeline of {self.owner!r}>"

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown the store may be gone
            self.reset()

    def _connection(self) -> int:
        return self.conn_id

    def reset(self) -> None:  # type: ignore[override]
        """Back to an empty pipeline; UNWATCH is sent if this pipeline is watching."""
        self.command_stack = []
        self.scripts = set()
        if self.watching:
            self.store.run(self.conn_id, ("UNWATCH",))
        self.watching = False
        self.explicit_transaction = False

    def immediate_execute_command(self, *args: Any, **options: Any) -> Any:
        """Run a command now on this pipeline's connection (WATCH, and reads before MULTI)."""
        name = args[0]
        res = self.store.run(self._connection(), args)
        if isinstance(res, ResponseError):
            if EMPTY_RESPONSE in options:
                return options[EMPTY_RESPONSE]
            raise res
        if name in self.UNWATCH_COMMANDS:
            self.watching = False
        elif name == "WATCH":
            self.watching = True
        return self.owner._callback(name, res, options)

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Run the queued commands (as one MULTI/EXEC transaction when ``transaction`` or after ``multi()``)."""
        stack = self.command_stack
        if not stack and not self.watching:
            return []
        try:
            if self._atomic or self.explicit_transaction:
                return self._transaction(stack, raise_on_error)
            return self._pipeline(stack, raise_on_error)
        finally:
            self.reset()

    def _transaction(self, commands: list[Any], raise_on_error: bool) -> list[Any]:
        sent = [args for args, options in commands if EMPTY_RESPONSE not in options]
        replies = self.store.run_many(self._connection(), [("MULTI",), *sent, ("EXEC",)])
        errors: list[tuple[int, Any]] = []
        if isinstance(replies[0], ResponseError):
            errors.append((0, replies[0]))
        position = 1
        for i, (args, options) in enumerate(commands):
            if EMPTY_RESPONSE in options:
                errors.append((i, options[EMPTY_RESPONSE]))
                continue
            reply = replies[position]
            position += 1
            if isinstance(reply, ResponseError):
                Pipeline.annotate_exception(self, reply, i + 1, args)
                errors.append((i, reply))
        response = replies[-1]
        if isinstance(response, ExecAbortError):
            if errors:
                raise errors[0][1]
            raise response
        if isinstance(response, ResponseError):
            raise response
        self.watching = False
        if response is None:
            raise WatchError("Watched variable changed.")
        for i, e in errors:
            response.insert(i, e)
        if len(response) != len(commands):
            raise ResponseError("Wrong number of response items from pipeline execution")
        if raise_on_error:
            Pipeline.raise_first_error(self, commands, response)
        data = []
        for r, (args, options) in zip(response, commands, strict=True):
            if not isinstance(r, Exception):
                r = self.owner._callback(args[0], r, options)
            data.append(r)
        return data

    def _pipeline(self, commands: list[Any], raise_on_error: bool) -> list[Any]:
        replies = self.store.run_many(self._connection(), [args for args, _ in commands])
        responses: list[Any] = []
        for (args, options), reply in zip(commands, replies, strict=True):
            if isinstance(reply, ResponseError):
                responses.append(options.get(EMPTY_RESPONSE, reply))
                continue
            name = args[0]
            if name in self.UNWATCH_COMMANDS:
                self.watching = False
            elif name == "WATCH":
                self.watching = True
            responses.append(self.owner._callback(name, reply, options))
        if raise_on_error:
            Pipeline.raise_first_error(self, commands, responses)
        return responses
