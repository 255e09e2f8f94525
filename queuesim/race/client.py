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

import asyncio
import contextlib
import itertools
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, SupportsIndex

import fakeredis
import greenlet
import redis
from redis.client import Pipeline

from queuesim.sim._checks import check_non_negative
from queuesim.sim.fast_store import FastClient, FastPipeline, FastStore
from queuesim.sim.store import DirectFakeRedis

__all__ = [
    "ABANDONED",
    "COMMAND",
    "PIPELINE",
    "SLEEP",
    "STALLED",
    "TRANSACTION",
    "UNWIND_LIMIT",
    "Bridge",
    "ClientGreenlet",
    "FakeRaceClient",
    "FastRaceClient",
    "Request",
    "StallGuard",
    "sleep",
    "virtual_sleeps",
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
    it; any other call runs directly. Once the run has stopped (:attr:`open` false),
    the client's greenlet is unwound: its ``finally`` blocks and context managers
    still reach the store directly, up to :data:`UNWIND_LIMIT` calls; past that the
    client is taken to be swallowing the ``GreenletExit`` that unwinds it (a bare
    ``except:`` in a retry loop) and is abandoned, suspended for good.
    """

    __slots__ = ("client", "greenlet", "open", "round_trips", "unwinding_calls")

    def __init__(self, client: int) -> None:
        self.client = client
        self.greenlet: ClientGreenlet | None = None
        self.open = True
        self.unwinding_calls = 0
        #: round trips and pauses so far (the stall guard watches it move)
        self.round_trips = 0

    def __repr__(self) -> str:
        return f"<Bridge client={self.client} {'open' if self.open else 'closed'}>"

    def call(
        self, kind: str, commands: tuple[Command, ...], fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` as one round trip of this client."""
        g = self.greenlet
        if g is None or greenlet.getcurrent() is not g:
            return fn(*args, **kwargs)
        if not self.open:
            self.unwound()
            return fn(*args, **kwargs)
        self.round_trips += 1
        ok, value = g.parent.switch(Request(kind, commands, fn, args, kwargs))
        if ok:
            return value
        raise value

    def pause(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass for this client (called from its greenlet)."""
        g = self.greenlet
        assert g is not None
        if not self.open:  # a stopped run's client is unwinding: no time passes
            self.unwound()
            return
        self.round_trips += 1
        g.parent.switch(Request(SLEEP, (), seconds=seconds))

    def unwound(self) -> None:
        """Count a call made while unwinding; past :data:`UNWIND_LIMIT`, suspend the greenlet for good."""
        self.unwinding_calls += 1
        if self.unwinding_calls > UNWIND_LIMIT:
            self.abandon(ABANDONED)

    def abandon(self, why: object) -> None:
        """Suspend the client's greenlet for good, handing ``why`` to its process (called from the greenlet)."""
        g = self.greenlet
        assert g is not None
        while True:  # every resumption (a GreenletExit thrown again when it is collected) comes back here
            with contextlib.suppress(greenlet.GreenletExit):
                g.parent.switch(why)


#: Calls a stopped client may make while it unwinds (its ``finally`` blocks) before it is abandoned.
UNWIND_LIMIT = 100
#: What :meth:`Bridge.unwound` hands the parent when it abandons a client.
ABANDONED = object()

#: What a client's greenlet hands its process when :class:`StallGuard` stops it.
STALLED = object()

#: A bridge that never suspends (for pipelines being garbage-collected, and closed clients).
_DIRECT = Bridge(-1)
_DIRECT.open = False


class StallGuard:
    """Stops a simulated client running longer than ``seconds`` of wall-clock time between two round trips.

    The command budget cannot see a client that sends nothing: one looping without a
    command (a bare ``except:`` retrying an error raised before any), or one blocked
    on something outside the simulation, such as a ``threading.Lock`` another
    simulated client holds (the clients are greenlets of one thread: the holder can
    never run again). Either would hang the run. While the guard is entered, an
    interval timer (``ITIMER_REAL``) ticks ten times per ``seconds``, interrupting a
    blocked ``acquire`` too; a tick that finds the same client running with no round
    trip since ``seconds`` ago suspends it for good, and its process gets
    :data:`STALLED`; a client unwinding a stopped run gets a tenth of ``seconds``.
    Only in the main thread, where ``signal.setitimer`` exists and nobody else
    handles ``SIGALRM`` (pytest-timeout's signal method does); nested guards leave
    the outer one in charge.
    """

    _active = False

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._interval = seconds / 10
        self._mark: tuple[Bridge, int] | None = None
        self._ticks = 0
        self._armed = False
        self._previous: Any = None

    def __enter__(self) -> StallGuard:
        if StallGuard._active or not hasattr(signal, "setitimer"):
            return self
        if threading.current_thread() is not threading.main_thread():
            return self
        if signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, signal.SIG_IGN, None):
            return self  # somebody else's timer
        self._previous = signal.signal(signal.SIGALRM, self._tick)
        signal.setitimer(signal.ITIMER_REAL, self._interval, self._interval)
        self._armed = StallGuard._active = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._armed = StallGuard._active = False

    def _tick(self, signum: int, frame: Any) -> None:
        current = greenlet.getcurrent()
        if not isinstance(current, ClientGreenlet):
            self._mark, self._ticks = None, 0
            return
        mark = (current.bridge, current.bridge.round_trips)
        if mark != self._mark:
            self._mark, self._ticks = mark, 0
            return
        self._ticks += 1
        if self._ticks >= (10 if current.bridge.open else 1):
            self._mark, self._ticks = None, 0
            current.bridge.abandon(STALLED)


class ClientGreenlet(greenlet.greenlet):  # type: ignore[misc]
    """The greenlet a simulated client's function runs in; it knows its :class:`Bridge`."""

    def __init__(self, run: Callable[..., Any], bridge: Bridge) -> None:
        super().__init__(run)
        self.bridge = bridge
        bridge.greenlet = self


_REAL_SLEEP = time.sleep
_REAL_ASYNCIO_SLEEP = asyncio.sleep


def sleep(seconds: float) -> None:
    """Think time in a target: in a simulated client virtual time passes; anywhere else, a real sleep.

    While a run goes on, ``time.sleep`` and ``asyncio.sleep`` called by a simulated
    client do the same (see :func:`virtual_sleeps`).

    Raises:
        ValueError: ``seconds`` is negative or not a finite number.
    """
    check_non_negative(seconds, "seconds")
    current = greenlet.getcurrent()
    if isinstance(current, ClientGreenlet):
        current.bridge.pause(seconds)
        return
    _REAL_SLEEP(seconds)


def _time_sleep(seconds: float | SupportsIndex) -> None:
    if isinstance(greenlet.getcurrent(), ClientGreenlet):
        sleep(float(seconds))
    else:
        _REAL_SLEEP(seconds)


async def _asyncio_sleep(delay: float, result: Any = None) -> Any:
    if isinstance(greenlet.getcurrent(), ClientGreenlet):
        sleep(delay)
        return result
    return await _REAL_ASYNCIO_SLEEP(delay, result)


_REAL_UUID1 = uuid.uuid1
_REAL_UUID4 = uuid.uuid4
_ids: Iterator[int] = itertools.count(1)


def _uuid1(node: int | None = None, clock_seq: int | None = None) -> uuid.UUID:
    if isinstance(greenlet.getcurrent(), ClientGreenlet):
        return uuid.UUID(int=next(_ids), version=1)
    return _REAL_UUID1(node, clock_seq)


def _uuid4() -> uuid.UUID:
    if isinstance(greenlet.getcurrent(), ClientGreenlet):
        return uuid.UUID(int=next(_ids), version=4)
    return _REAL_UUID4()


_patched = 0


@contextlib.contextmanager
def virtual_sleeps() -> Iterator[None]:
    """While it lasts, sleeps in a simulated client are virtual think time, and its uuids are numbered.

    A learner's retry loop, redis-py's ``Lock`` and queuesim's sync driver wait with
    ``time.sleep``; in a simulated client a real sleep would stop the whole
    simulation for real seconds while no virtual time passed. And ``uuid.uuid1`` and
    ``uuid.uuid4`` number their ids 1, 2, 3, … from the start of the outermost use,
    so redis-py's ``Lock`` tokens (``uuid1``: the clock and the machine) are the same
    for the same seed. Called anywhere else (another thread, the setup, the
    invariant), all are the real ones. Nested uses patch once; the originals are
    back when the outermost ends.
    """
    global _patched, _ids
    if _patched == 0:
        _ids = itertools.count(1)
        time.sleep = _time_sleep
        asyncio.sleep = _asyncio_sleep
        uuid.uuid1 = _uuid1
        uuid.uuid4 = _uuid4
    _patched += 1
    try:
        yield
    finally:
        _patched -= 1
        if _patched == 0:
            time.sleep = _REAL_SLEEP
            asyncio.sleep = _REAL_ASYNCIO_SLEEP
            uuid.uuid1 = _REAL_UUID1
            uuid.uuid4 = _REAL_UUID4


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

    def load_scripts(self) -> None:
        """``SCRIPT EXISTS``, then ``SCRIPT LOAD`` of the missing ones, in the order the scripts were queued.

        redis-py iterates its set of scripts, whose order follows their ids (memory
        addresses): the same seed would send them in another order from run to run.
        """
        queued = {args[1]: n for n, (args, _) in enumerate(self.command_stack) if args[0] == "EVALSHA"}
        scripts = sorted(self.scripts, key=lambda script: (queued.get(script.sha, len(queued)), script.sha))
        exists = self.immediate_execute_command("SCRIPT EXISTS", *(script.sha for script in scripts))
        for script, exist in zip(scripts, exists, strict=True):
            if not exist:
                script.sha = self.immediate_execute_command("SCRIPT LOAD", script.script)

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        if self.scripts:
            # SCRIPT EXISTS (and SCRIPT LOAD) first, each a round trip of its own, as redis-py sends them
            self.load_scripts()
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


class FakeRaceClient(_SuspendingClient, DirectFakeRedis):
    """A simulated client's connection to a fakeredis :class:`~queuesim.sim.SimStore`."""

    def __init__(self, server: fakeredis.FakeServer, bridge: Bridge, *, decode_responses: bool = True) -> None:
        DirectFakeRedis.__init__(self, server=server, decode_responses=decode_responses)
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
