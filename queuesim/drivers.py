"""Drivers: run a *conversation* (a generator of Redis steps) against a client.

Every operation that talks to Redis is written once, as a generator that
yields steps and receives their replies; it performs no I/O itself. A step is

* a command tuple, e.g. ``("GET", "item.1")``;
* a :class:`~queuesim.scripts.ScriptCall` (one Lua script, atomic);
* a :class:`Batch` of commands and script calls sent in one round trip,
  optionally as one ``MULTI``/``EXEC`` transaction; its reply is the list of replies;
* a :class:`Pause`: the client waits before its next step (think time). The
  driver does the waiting (sleep, ``asyncio.sleep``, or virtual time in the
  simulation), so the conversation itself never sleeps; the reply is ``None``;
* an :class:`Effect`: something for the program that runs the conversation, not
  for Redis (a worker's loop yields "start this job" and "wait for work"). The
  driver hands it to the ``effects`` callable given to ``run`` and sends back
  what that returns, so a long-running loop (a worker's) is driven by the same
  driver loop as any conversation, live or in virtual time.

**WATCH.** A conversation may do optimistic locking: yield ``("WATCH", key)``,
read, then yield an atomic :class:`Batch`. WATCH only protects a transaction
sent over the *same connection*, so from a ``WATCH`` step until that batch
(its ``EXEC``) or an ``("UNWATCH",)`` step, the driver sends every step over
one connection it holds for the conversation (a redis-py pipeline in
immediate mode); outside that window steps use the pool as usual. If a watched
key changed, the batch raises ``redis.WatchError`` into the conversation, which
may catch it and try again. The held connection is released (and unwatched)
when the conversation ends, however it ends. ``MULTI``/``EXEC``/``DISCARD``
are never yielded as commands: an atomic batch is the transaction.

:class:`SyncDriver` runs conversations on ``redis.Redis`` (or fakeredis),
:class:`AsyncDriver` on ``redis.asyncio.Redis``; the simulation driver in
``queuesim.sim`` runs the very same generators in virtual time.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import redis
import redis.exceptions

from queuesim.scripts import ScriptCall

__all__ = [
    "BLOCKING_COMMANDS",
    "AsyncDriver",
    "Batch",
    "Command",
    "Conversation",
    "Effect",
    "Pause",
    "RecordingDriver",
    "Routine",
    "Step",
    "SyncDriver",
    "hash_reply",
    "run",
    "run_async",
    "text",
]

T = TypeVar("T")

#: A single Redis command as a tuple of its words.
Command: TypeAlias = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Batch:
    """Several commands sent in one round trip; the reply is the list of their replies.

    With ``atomic=True`` they run as one ``MULTI``/``EXEC`` transaction, so no
    other client's command can land between them.
    """

    steps: tuple[Command | ScriptCall, ...]
    atomic: bool = False

    @classmethod
    def of(cls, steps: Sequence[Command | ScriptCall], *, atomic: bool = False) -> Batch:
        """A batch of ``steps``."""
        return cls(tuple(steps), atomic)


@dataclass(frozen=True, slots=True)
class Pause:
    """The client waits ``seconds`` before its next step: think time between commands.

    Conversations use it to model work a client does between two commands (the
    racy teaching strategies use it to widen their race window). The driver does
    the waiting: the sync driver sleeps, the asyncio driver awaits, the simulation
    driver advances virtual time. Its reply is ``None``.
    """

    seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, int | float):
            raise TypeError(f"Pause seconds must be a number, not {type(self.seconds).__name__}")
        if not math.isfinite(self.seconds) or self.seconds < 0:
            raise ValueError(f"Pause seconds must be finite and >= 0, got {self.seconds!r}")


class Effect:
    """A step for the program running the conversation rather than for Redis (see the module docstring).

    Subclasses say what to do (a worker's ``Start`` and ``Wait``); a driver passes
    them to the ``effects`` callable its ``run`` was given, and refuses them without one.
    """

    __slots__ = ()


#: What a conversation may yield.
Step: TypeAlias = Command | ScriptCall | Batch | Pause
#: A conversation: yields steps, receives replies, returns a result.
Conversation: TypeAlias = Generator[Step, Any, T]
#: A conversation that also yields effects for its host (a worker's loop); drivers run both.
Routine: TypeAlias = Generator[Step | Effect, Any, T]


def text(value: Any) -> str:
    """A reply as ``str``, whether the client decodes responses or returns bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)


def hash_reply(reply: Any) -> dict[str, str]:
    """A hash-like reply (``HGETALL``, ``CONFIG GET``, a stream entry's fields) as a dict of strings:
    redis-py gives a dict, a raw reply a flat ``[key, value, ...]`` list."""
    if isinstance(reply, dict):
        return {text(k): text(v) for k, v in reply.items()}
    items = list(reply or ())
    return {text(items[i]): text(items[i + 1]) for i in range(0, len(items) - 1, 2)}


def _is_noscript(exc: BaseException) -> bool:
    return isinstance(exc, redis.exceptions.NoScriptError) or (
        isinstance(exc, redis.exceptions.ResponseError) and str(exc).startswith("NOSCRIPT")
    )


_TRANSACTION_WORDS = frozenset({"MULTI", "EXEC", "DISCARD"})
#: Commands that may hold their connection until data arrives (``XREAD`` only with ``BLOCK``):
#: the sync driver sends them through the client's pool, never on a kept connection.
BLOCKING_COMMANDS = frozenset(
    {"BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "XREAD", "XREADGROUP",
     "WAIT", "WAITAOF"}
)


def _no_effects(effect: Effect) -> Any:
    raise TypeError(f"{type(effect).__name__} is an effect: run this conversation with an effects handler")


def _word(step: Command) -> str:
    """The command name of ``step``, upper-cased; refuses bare transaction commands."""
    name = step[0]
    word = (name.decode() if isinstance(name, bytes) else str(name)).upper()
    if word in _TRANSACTION_WORDS:
        raise ValueError(f"a conversation yields Batch(..., atomic=True), not a bare {word} command")
    return word


def _command_of(step: Command | ScriptCall) -> Command:
    """The command words a batch member sends."""
    return step.command() if isinstance(step, ScriptCall) else step


class _Pin:
    """The connection a sync conversation holds from WATCH until its EXEC or UNWATCH."""

    __slots__ = ("pipe",)

    def __init__(self) -> None:
        self.pipe: Any = None

    @property
    def watching(self) -> bool:
        return self.pipe is not None and bool(self.pipe.watching)

    def release(self) -> None:
        if self.pipe is not None:
            pipe, self.pipe = self.pipe, None
            pipe.reset()  # sends UNWATCH if still watching, gives the connection back to the pool


class _AsyncPin:
    """The connection an asyncio conversation holds from WATCH until its EXEC or UNWATCH."""

    __slots__ = ("pipe",)

    def __init__(self) -> None:
        self.pipe: Any = None

    @property
    def watching(self) -> bool:
        return self.pipe is not None and bool(self.pipe.watching)

    async def release(self) -> None:
        if self.pipe is not None:
            pipe, self.pipe = self.pipe, None
            await pipe.reset()


def _drive(conversation: Routine[T], execute: Callable[[Step | Effect], Any]) -> T:
    """Feed each step's reply back into the conversation; errors are thrown into it."""
    try:
        step = next(conversation)
        while True:
            try:
                reply = execute(step)
            except Exception as exc:  # the conversation may handle it (e.g. WatchError)
                step = conversation.throw(exc)
            else:
                step = conversation.send(reply)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


class _DirectConnections:
    """A few connections of the drivers' own beside a client's pool, shared by every driver on that pool.

    redis-py's ``execute_command`` wraps each command in retry, observability and
    deprecation checks, and its pool's checkout and checkin cost as much again:
    together more than the client-side work of a queue operation. For a plain
    ``redis.Redis`` on a plain ``ConnectionPool`` of 32 connections or more (not
    fakeredis, a cluster, a single-connection client, a blocking or sentinel
    pool, one with a client-side cache, or RESP3), drivers open up to four connections
    of their own per pool, made like the pool's, however many drivers come and
    go, and send on them directly. They are not the pool's: a pool sized to its
    threads is never short of a connection because drivers keep some idle.
    When all four are busy, or one fails, the command goes through
    ``execute_command`` (the pool, and the client's retry policy). They close
    when the pool is garbage-collected; after a fork the child opens its own.
    """

    __slots__ = ("idle", "lock", "made", "pid", "pool")

    def __init__(self, pool: Any) -> None:
        self.pool: weakref.ref[Any] = weakref.ref(pool)
        self.idle: list[Any] = []
        self.made = 0
        self.lock = threading.Lock()
        self.pid = os.getpid()
        # closed when the pool goes, before the garbage collector gets to their sockets
        weakref.finalize(pool, _disconnect_all, self.idle)

    @classmethod
    def of(cls, client: Any) -> _DirectConnections | None:
        """The direct connections of ``client``'s pool, or None where it must go through ``execute_command``."""
        pool = getattr(client, "connection_pool", None)
        if (
            _REDIS_MAJOR < 6
            or type(client) is not redis.Redis
            or type(pool) is not redis.ConnectionPool
            or getattr(pool, "max_connections", 0) < _MIN_POOL  # a small pool says: few connections
            or getattr(client, "connection", None) is not None
            or getattr(pool, "cache", None) is not None
            or not pool.connection_class.__module__.startswith("redis.")
            or pool.connection_kwargs.get("protocol") not in (None, 2, "2")  # RESP3 push messages: left to redis-py
        ):
            return None
        shared: _DirectConnections | None = getattr(pool, _ATTRIBUTE, None)
        if shared is None:
            with _SHARED_LOCK:
                shared = getattr(pool, _ATTRIBUTE, None)
                if shared is None:
                    # kept on the pool itself, so it goes when the pool goes (a module-level
                    # dictionary of pools would keep every pool alive)
                    shared = cls(pool)
                    setattr(pool, _ATTRIBUTE, shared)
        return shared

    def take(self) -> Any:
        """An idle connection of ours, a new one while fewer than four exist, else None
        (list pop and append are atomic, so threads may share the driver)."""
        if self.pid != os.getpid():  # forked: the parent's sockets are not ours to use
            with self.lock:
                if self.pid != os.getpid():
                    self.idle.clear()  # the parent's, dropped (redis-py leaves their sockets to the parent)
                    self.made, self.pid = 0, os.getpid()
        try:
            return self.idle.pop()
        except IndexError:
            pass
        with self.lock:
            pool = self.pool()
            if self.made >= _KEEP or pool is None:
                return None
            self.made += 1
        # made like the pool's, but without the pool's handler of maintenance notifications
        # (RESP3 only, so nothing to handle here): it would keep the pool alive through us
        kwargs = {k: v for k, v in pool.connection_kwargs.items() if k != "maint_notifications_pool_handler"}
        return pool.connection_class(**kwargs)  # connects on its first command

    def give(self, conn: Any) -> None:
        """Back to the idle list after a command."""
        if getattr(conn, "should_reconnect", _never)():  # the server asked for a reconnect (redis-py 7+)
            conn.disconnect()  # reconnects on its next command
        self.idle.append(conn)


def _never() -> bool:
    return False


def _disconnect_all(connections: list[Any]) -> None:
    """Close the kept connections of a pool that is going away."""
    while connections:
        with contextlib.suppress(Exception):  # closing what is already broken is fine
            connections.pop().disconnect()


_SHARED_LOCK = threading.Lock()
#: The pool's attribute that holds its kept connections.
_ATTRIBUTE = "_queuesim_direct_connections"
_REDIS_MAJOR = int(redis.__version__.split(".")[0])
#: Connections of their own that drivers keep per pool at most (the hot paths, a producer and
#: a worker's loop, use one each).
_KEEP = 4
#: The smallest pool beside which drivers open connections of their own (redis-py's default holds 100).
_MIN_POOL = 32
_DISCONNECTED = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class SyncDriver:
    """Runs conversations on a synchronous ``redis.Redis`` client (real, cluster or fakeredis)."""

    __slots__ = ("_direct", "_loaded", "client")

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        #: SHAs this driver has loaded into the server (scripts sent inside pipelines must be there)
        self._loaded: set[str] = set()
        self._direct = _DirectConnections.of(client)

    def _send(self, args: tuple[Any, ...]) -> Any:
        """One command on the client, over a kept connection when one is free."""
        direct = self._direct
        if direct is not None:
            conn = direct.take()
            if conn is not None:
                try:
                    conn.send_command(*args)
                    return self.client.parse_response(conn, args[0])
                except _DISCONNECTED:
                    pass  # the connection closed itself; retry below under the client's own policy
                finally:
                    direct.give(conn)
        return self.client.execute_command(*args)

    def __repr__(self) -> str:
        return f"<SyncDriver {self.client!r}>"

    def run(self, conversation: Routine[T], effects: Callable[[Effect], Any] = _no_effects) -> T:
        """Run ``conversation`` to the end and return its result; ``effects(effect)`` answers its effects."""
        pin = _Pin()
        execute = self.execute

        def step(s: Step | Effect) -> Any:
            return effects(s) if isinstance(s, Effect) else execute(s, pin)

        try:
            return _drive(conversation, step)
        finally:
            pin.release()

    def execute(self, step: Step, pin: _Pin | None = None) -> Any:
        """Send one step and return its reply.

        ``pin`` is the conversation's held connection (given by :meth:`run`).
        Without it a ``WATCH`` is sent like any command, which is right only on a
        client that always uses one connection (as the simulation's store clients
        do), and every step goes through the client's own ``execute_command``
        (never a kept connection), so a caller that watches without a pin stays on
        the connection the pool hands back.
        """
        if isinstance(step, Pause):
            time.sleep(step.seconds)
            return None
        if pin is not None and pin.watching:
            return self._pinned(step, pin)
        if isinstance(step, ScriptCall):
            return self._script(step, None if pin is None else self._send)
        if isinstance(step, Batch):
            return self._batch(step)
        if pin is None:
            return self.client.execute_command(*step)
        word = _word(step)
        if word == "WATCH":
            pin.pipe = self.client.pipeline(transaction=True)
            return pin.pipe.execute_command(*step)
        if word in BLOCKING_COMMANDS:  # may wait for seconds: not on a connection others need
            return self.client.execute_command(*step)
        return self._send(step)

    def _script(self, call: ScriptCall, send: Callable[[tuple[Any, ...]], Any] | None = None) -> Any:
        """Run a script with ``send`` (default: the client's ``execute_command``), by SHA, else by source."""
        if send is None:
            client = self.client
            send = lambda args: client.execute_command(*args)  # noqa: E731
        try:
            return send(call.command())
        except redis.exceptions.ResponseError as exc:
            if not _is_noscript(exc):
                raise
        # Not cached on the server (a restart, SCRIPT FLUSH): EVAL sends the source and caches it again.
        return send(("EVAL", call.script.source, len(call.keys), *call.keys, *call.args))

    def _load(self, batch: Batch, target: Any) -> None:
        for call in batch.steps:
            if isinstance(call, ScriptCall) and call.script.sha not in self._loaded:
                target.execute_command("SCRIPT", "LOAD", call.script.source)
                self._loaded.add(call.script.sha)

    def _batch(self, batch: Batch) -> list[Any]:
        self._load(batch, self.client)
        pipe = self.client.pipeline(transaction=batch.atomic)
        for s in batch.steps:
            pipe.execute_command(*_command_of(s))
        return self._replies(batch, pipe.execute(raise_on_error=False))

    def _pinned(self, step: Command | ScriptCall | Batch, pin: _Pin) -> Any:
        """Send ``step`` over the connection held since WATCH."""
        pipe = pin.pipe
        if isinstance(step, ScriptCall):
            return self._script(step, lambda args: pipe.execute_command(*args))
        if isinstance(step, Batch):
            self._load(step, pipe)
            if not step.atomic:
                return [pipe.execute_command(*_command_of(s)) for s in step.steps]
            pipe.multi()
            for s in step.steps:
                pipe.execute_command(*_command_of(s))
            # raises redis.WatchError if a watched key changed; either way the pipeline
            # resets itself, which unwatches and gives the connection back to the pool
            return self._replies(step, pipe.execute(raise_on_error=False))
        if _word(step) == "UNWATCH":
            pin.release()
            return True
        return pipe.execute_command(*step)

    def _replies(self, batch: Batch, replies: list[Any]) -> list[Any]:
        for i, reply in enumerate(replies):
            if isinstance(reply, Exception) and _is_noscript(reply):
                # The server lost its scripts (SCRIPT FLUSH, restart) since we loaded them:
                # that step did not run, so run it again on its own.
                self._loaded.clear()
                replies[i] = self._script(batch.steps[i])  # type: ignore[arg-type]
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies


class AsyncDriver:
    """Runs conversations on an asyncio client (``redis.asyncio.Redis`` or fakeredis's)."""

    __slots__ = ("_loaded", "client")

    def __init__(self, client: Any) -> None:
        self.client = client
        self._loaded: set[str] = set()

    def __repr__(self) -> str:
        return f"<AsyncDriver {self.client!r}>"

    async def run(
        self, conversation: Routine[T], effects: Callable[[Effect], Awaitable[Any]] | None = None
    ) -> T:
        """Run ``conversation`` to the end and return its result; ``await effects(effect)`` answers its effects."""
        pin = _AsyncPin()
        try:
            step = next(conversation)
            while True:
                try:
                    if isinstance(step, Effect):
                        if effects is None:
                            _no_effects(step)
                        reply = await effects(step)  # type: ignore[misc]
                    else:
                        reply = await self.execute(step, pin)
                except Exception as exc:
                    step = conversation.throw(exc)
                else:
                    step = conversation.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        finally:
            await pin.release()

    async def execute(self, step: Step, pin: _AsyncPin | None = None) -> Any:
        """Send one step and return its reply (``pin``: see :meth:`SyncDriver.execute`)."""
        if isinstance(step, Pause):
            await asyncio.sleep(step.seconds)
            return None
        if pin is not None and pin.watching:
            return await self._pinned(step, pin)
        if isinstance(step, ScriptCall):
            return await self._script(step)
        if isinstance(step, Batch):
            await self._load(step, self.client)
            pipe = self.client.pipeline(transaction=step.atomic)
            for s in step.steps:
                pipe.execute_command(*_command_of(s))
            return await self._replies(step, await pipe.execute(raise_on_error=False))
        if _word(step) == "WATCH" and pin is not None:
            pin.pipe = self.client.pipeline(transaction=True)
            return await pin.pipe.execute_command(*step)
        return await self.client.execute_command(*step)

    async def _script(self, call: ScriptCall, target: Any = None) -> Any:
        target = self.client if target is None else target
        try:
            return await target.execute_command(*call.command())
        except redis.exceptions.ResponseError as exc:
            if not _is_noscript(exc):
                raise
        return await target.execute_command("EVAL", call.script.source, len(call.keys), *call.keys, *call.args)

    async def _load(self, batch: Batch, target: Any) -> None:
        for call in batch.steps:
            if isinstance(call, ScriptCall) and call.script.sha not in self._loaded:
                await target.execute_command("SCRIPT", "LOAD", call.script.source)
                self._loaded.add(call.script.sha)

    async def _replies(self, batch: Batch, replies: list[Any]) -> list[Any]:
        for i, reply in enumerate(replies):
            if isinstance(reply, Exception) and _is_noscript(reply):
                self._loaded.clear()
                replies[i] = await self._script(batch.steps[i])  # type: ignore[arg-type]
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    async def _pinned(self, step: Command | ScriptCall | Batch, pin: _AsyncPin) -> Any:
        """Send ``step`` over the connection held since WATCH."""
        pipe = pin.pipe
        if isinstance(step, ScriptCall):
            return await self._script(step, pipe)
        if isinstance(step, Batch):
            await self._load(step, pipe)
            if not step.atomic:
                return [await pipe.execute_command(*_command_of(s)) for s in step.steps]
            pipe.multi()
            for s in step.steps:
                pipe.execute_command(*_command_of(s))
            return await self._replies(step, await pipe.execute(raise_on_error=False))
        if _word(step) == "UNWATCH":
            await pin.release()
            return True
        return await pipe.execute_command(*step)


class RecordingDriver(SyncDriver):
    """A sync driver that also records every step it sends (for tests and teaching)."""

    __slots__ = ("steps",)

    def __init__(self, client: redis.Redis) -> None:
        super().__init__(client)
        self.steps: list[Step] = []

    def execute(self, step: Step, pin: _Pin | None = None) -> Any:
        """Record ``step``, then send it."""
        self.steps.append(step)
        return super().execute(step, pin)

    def commands(self) -> list[str]:
        """The command names sent so far, with script calls shown as ``EVALSHA <name>``."""
        out: list[str] = []
        for step in self.steps:
            if isinstance(step, ScriptCall):
                out.append(f"EVALSHA {step.script.name}")
            elif isinstance(step, Batch):
                out.append("MULTI" if step.atomic else "PIPELINE")
            elif isinstance(step, Pause):
                out.append("PAUSE")
            else:
                out.append(str(step[0]).upper())
        return out


def run(client: redis.Redis, conversation: Conversation[T]) -> T:
    """Run ``conversation`` on a sync client (shorthand for ``SyncDriver(client).run``)."""
    return SyncDriver(client).run(conversation)


async def run_async(client: Any, conversation: Conversation[T]) -> T:
    """Run ``conversation`` on an asyncio client (shorthand for ``AsyncDriver(client).run``)."""
    return await AsyncDriver(client).run(conversation)
