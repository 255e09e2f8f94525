"""The bridge between plain redis-py code and the simulation: a client that suspends at every command.

A user's function (``def reserve(r, i): ...``) runs in a greenlet of its own. Its
client ``r`` is the simulation store's own redis-py client (a
:class:`~queuesim.sim.fast_store.FastClient`, or SimStore's fakeredis connection)
with one change: every round trip to the server (a command, a pipeline's
``execute``, a ``WATCH`` sent in immediate mode, the ``UNWATCH`` of a pipeline reset)
is handed to the parent, the SimPy process of that client, as a :class:`Request`,
and the greenlet is suspended. The process charges the network delay, runs the
request on the store at its virtual instant, charges the reply's delay and switches
the reply back in (or raises the error there). Everything else is redis-py's own:
the command methods, the response callbacks (so user code sees the types it sees
against a real server), ``WATCH``/``MULTI``/``EXEC``, pipelines, ``register_script``
with its ``NOSCRIPT`` fallback. This is the pattern of SQLAlchemy's asyncio bridge
(``greenlet_spawn``/``await_only``), with a SimPy process as the parent.

Each simulated client is one connection: its ``WATCH`` state lives on it, and a
pipeline uses the same connection, as with :class:`~queuesim.sim.SimStore`'s clients.

Outside a simulated client's greenlet (the setup and the invariant run in the
parent) a call goes straight to the store, and so does one made while the
request that contains it is being executed (the ``UNWATCH`` inside a pipeline's
``execute``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import fakeredis
import greenlet
import redis
from redis.client import Pipeline

from queuesim.sim._checks import check_non_negative
from queuesim.sim.fast_store import FastClient, FastPipeline, FastStore
from queuesim.sim.store import _DirectFakeRedis

__all__ = [
    "COMMAND",
    "PIPELINE",
    "SLEEP",
    "TRANSACTION",
    "Bridge",
    "ClientGreenlet",
    "FakeRaceClient",
    "FastRaceClient",
    "Request",
    "sleep",
]

#: A request's kinds: one command, a MULTI/EXEC transaction, a plain pipeline, or think time.
COMMAND = "command"
TRANSACTION = "transaction"
PIPELINE = "pipeline"
SLEEP = "sleep"

Command = tuple[Any, ...]


class Request:
    """What a suspended client asks its process to do: one round trip (or a pause).

    ``commands`` are the command words sent (for the trace); ``call(*args, **kwargs)``
    runs them on the store and returns the reply as redis-py gives it.
    """

    __slots__ = ("args", "call", "commands", "kind", "kwargs", "seconds")

    def __init__(
        self,
        kind: str,
        commands: tuple[Command, ...],
        call: Callable[..., Any] | None = None,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        seconds: float = 0.0,
    ) -> None:
        self.kind = kind
        self.commands = commands
        self.call = call
        self.args = args
        self.kwargs = kwargs
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"<Request {self.kind} {self.commands!r}>"

    def execute(self) -> Any:
        """Run the request on the store (in the parent, at its virtual instant)."""
        assert self.call is not None
        if self.kwargs:
            return self.call(*self.args, **self.kwargs)
        return self.call(*self.args)


class Bridge:
    """One simulated client's link to its SimPy process.

    While :attr:`open`, a round trip made from the client's own greenlet suspends
    it; any other call runs directly.
    """

    __slots__ = ("client", "greenlet", "open")

    def __init__(self, client: int) -> None:
        self.client = client
        self.greenlet: ClientGreenlet | None = None
        self.open = True

    def __repr__(self) -> str:
        return f"<Bridge client={self.client} {'open' if self.open else 'closed'}>"

    def call(
        self, kind: str, commands: tuple[Command, ...], fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` as one round trip of this client."""
        g = self.greenlet
        if not self.open or g is None or greenlet.getcurrent() is not g:
            return fn(*args, **kwargs)
        ok, value = g.parent.switch(Request(kind, commands, fn, args, kwargs))
        if ok:
            return value
        raise value

    def pause(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass for this client (called from its greenlet)."""
        g = self.greenlet
        assert g is not None
        g.parent.switch(Request(SLEEP, (), seconds=seconds))


#: A bridge that never suspends (for pipelines being garbage-collected, and closed clients).
_DIRECT = Bridge(-1)
_DIRECT.open = False


class ClientGreenlet(greenlet.greenlet):  # type: ignore[misc]
    """The greenlet a simulated client's function runs in; it knows its :class:`Bridge`."""

    def __init__(self, run: Callable[..., Any], bridge: Bridge) -> None:
        super().__init__(run)
        self.bridge = bridge
        bridge.greenlet = self


def sleep(seconds: float) -> None:
    """Think time in a target: in a simulated client virtual time passes; anywhere else, a real sleep.

    ``time.sleep`` inside a target would stop the whole simulation for real seconds
    and let no virtual time pass; use this instead.

    Raises:
        ValueError: ``seconds`` is negative or not a finite number.
    """
    check_non_negative(seconds, "seconds")
    current = greenlet.getcurrent()
    if isinstance(current, ClientGreenlet):
        if current.bridge.open:  # a stopped run's clients are unwinding: no time passes
            current.bridge.pause(seconds)
        return
    time.sleep(seconds)


# --------------------------------------------------------------------------- the suspending client classes


class _SuspendingClient(redis.Redis):
    """A store client whose commands are round trips of a simulated client."""

    _bridge: Bridge

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return self._bridge.call(COMMAND, (args,), super().execute_command, *args, **options)


class _SuspendingPipeline(Pipeline):
    """A store pipeline whose immediate commands, ``execute`` and watching reset are round trips."""

    _bridge: Bridge

    def immediate_execute_command(self, *args: Any, **options: Any) -> Any:
        return self._bridge.call(COMMAND, (args,), super().immediate_execute_command, *args, **options)

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        if self.scripts:
            # SCRIPT EXISTS (and SCRIPT LOAD) first, each a round trip of its own, as redis-py sends them
            self.load_scripts()  # type: ignore[no-untyped-call]
            self.scripts = set()
        stack = [args for args, _ in self.command_stack]
        if not stack and not self.watching:
            return []
        if self.__dict__.get("transaction") or self.explicit_transaction:
            kind, commands = TRANSACTION, (("MULTI",), *stack, ("EXEC",))
        else:
            kind, commands = PIPELINE, tuple(stack)
        replies: list[Any] = self._bridge.call(kind, commands, super().execute, raise_on_error)
        return replies

    def reset(self) -> None:  # type: ignore[override]
        if self.watching:
            self._bridge.call(COMMAND, (("UNWATCH",),), super().reset)
        else:
            super().reset()

    def __del__(self) -> None:
        self._bridge = _DIRECT  # no suspending from a finalizer
        super().__del__()  # type: ignore[no-untyped-call]


class FastRaceClient(_SuspendingClient, FastClient):
    """A simulated client's connection to a :class:`~queuesim.sim.fast_store.FastStore`."""

    def __init__(self, store: FastStore, bridge: Bridge, *, decode_responses: bool = True) -> None:
        FastClient.__init__(self, store, decode_responses=decode_responses)
        self._bridge = bridge

    def __repr__(self) -> str:
        return f"<FastRaceClient client={self._bridge.client}>"

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> _FastRacePipeline:
        """A pipeline on this client's connection (``transaction=True``: MULTI/EXEC)."""
        return _FastRacePipeline(self, transaction)


class _FastRacePipeline(_SuspendingPipeline, FastPipeline):
    def __init__(self, client: FastRaceClient, transaction: bool) -> None:
        self._bridge = client._bridge
        FastPipeline.__init__(self, client, transaction)


class FakeRaceClient(_SuspendingClient, _DirectFakeRedis):
    """A simulated client's connection to a fakeredis :class:`~queuesim.sim.SimStore`."""

    def __init__(self, server: fakeredis.FakeServer, bridge: Bridge, *, decode_responses: bool = True) -> None:
        _DirectFakeRedis.__init__(self, server=server, decode_responses=decode_responses)
        self._bridge = bridge

    def __repr__(self) -> str:
        return f"<FakeRaceClient client={self._bridge.client}>"

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> _FakeRacePipeline:
        """A pipeline on this client's connection (``transaction=True``: MULTI/EXEC)."""
        self._release()
        return _FakeRacePipeline(self, transaction, shard_hint)


class _FakeRacePipeline(_SuspendingPipeline):
    def __init__(self, client: FakeRaceClient, transaction: bool, shard_hint: Any) -> None:
        self._bridge = client._bridge
        Pipeline.__init__(self, client.connection_pool, client.response_callbacks, transaction, shard_hint)
