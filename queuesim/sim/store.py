"""The simulation's Redis: an in-process fakeredis server (with Lua) whose clock is the simulation's.

fakeredis stamps every command with the *wall* clock, and key expiry (``SET … PX``,
``EXPIRE``) compares against that stamp. In a simulation, virtual time runs much
faster (or slower) than the wall clock, so a hold with a 10 s TTL would never
expire in a run that simulates an hour in one second, and results would depend on
the machine's speed. :class:`SimStore` gives each database of its server a clock
that reads virtual time instead, so TTLs expire at exactly the simulated instant,
reproducibly.

``SimStore(clock, backend="fast")`` keeps the data in a
:class:`~queuesim.sim.fast_store.FastStore` instead: the same commands and Lua scripts,
run by LuaJIT over an in-process keyspace, an order of magnitude faster per script step
(``bench/sim_driver.py``); fakeredis stays the default and the reference to cross-check
against.

``SimStore.client(direct=True)`` is a faster fakeredis connection for long runs: it hands
each command straight to fakeredis's command processor, skipping RESP encoding
and parsing, the connection pool and redis-py's per-call machinery, while replies
still go through redis-py's own parsing (same types, same exceptions). Pipelines
and transactions take the ordinary path on the same connection, so ``WATCH``
keeps working. ``bench/sim_driver.py`` measures the gain.

Both rely on fakeredis internals (``FakeServer.dbs`` holding ``Database`` objects
with a ``time`` attribute; ``FakeSocket._process_command``);
``tests/sim/test_sim_store.py`` checks them, so an upgrade that changes them fails
loudly rather than silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import fakeredis
import redis
from fakeredis._core._database import Database

from queuesim.sim.fast_store import FastStore

__all__ = ["BACKENDS", "DirectFakeRedis", "SimStore"]


class _ClockedDatabase(Database):
    """A fakeredis database whose notion of "now" comes from a given clock (seconds)."""

    def __init__(self, lock: Any, clock: Callable[[], float]) -> None:
        self._clock = clock  # before Database.__init__, which assigns self.time
        super().__init__(lock)

    @property
    def time(self) -> float:
        return self._clock()

    @time.setter
    def time(self, value: float) -> None:
        # fakeredis writes the wall-clock time here before every command; the simulation's clock wins.
        pass


class DirectFakeRedis(fakeredis.FakeRedis):
    """A FakeRedis that hands single commands to the fake server's command processor directly.

    It keeps its one connection checked out between commands and gives it back to
    the pool before a pipeline runs, so the pipeline uses the same connection (and
    sees this connection's WATCHes). Only for single-threaded use, like a simulation.
    """

    _held: Any = None

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Run one command on the held connection and parse its reply as redis-py does."""
        connection = self._held
        if connection is None:
            connection = self._held = self.connection_pool.get_connection()
        socket = connection.get_socket()
        encode = connection.encoder.encode
        socket._process_command([encode(arg) for arg in args])
        if socket.responses is None or socket.responses.empty():
            raise RuntimeError(f"{args[0]!r} sent no reply; a simulated client must always get one")
        return self.parse_response(connection, args[0], **options)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        """A pipeline on this client's connection (given back to the pool first)."""
        self._release()
        return super().pipeline(transaction, shard_hint)

    def close(self) -> None:
        """Give the held connection back, then close."""
        self._release()
        super().close()

    def _release(self) -> None:
        if self._held is not None:
            self.connection_pool.release(self._held)
            self._held = None


#: The stores a SimStore can keep its data in.
BACKENDS = ("fakeredis", "fast")


class SimStore:
    """An embedded Redis for one simulation run; :meth:`client` makes connections to it.

    Every client is one connection: ``WATCH`` state lives on it, so give each
    simulated client that uses ``WATCH`` its own.

    Args:
        clock: returns the current time in seconds, e.g. ``SimClock(env).time``.
        backend: ``"fakeredis"`` (default) or ``"fast"`` (a :class:`FastStore`).
    """

    __slots__ = ("backend", "clock", "server")

    def __init__(self, clock: Callable[[], float], *, backend: str = "fakeredis") -> None:
        if not callable(clock):
            raise TypeError(f"clock must be a callable returning seconds, got {clock!r}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown SimStore backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.clock = clock
        self.backend = backend
        self.server: fakeredis.FakeServer | FastStore
        if backend == "fast":
            self.server = FastStore(clock)
            return
        server = fakeredis.FakeServer()
        server.dbs = defaultdict(lambda: _ClockedDatabase(server.lock, clock))
        self.server = server

    def __repr__(self) -> str:
        return f"<SimStore {self.backend} t={self.clock():.6f}s>"

    def client(self, *, decode_responses: bool = True, direct: bool = False) -> redis.Redis:
        """A new connection to this store (a sync ``fakeredis.FakeRedis``, or a ``FastClient``).

        Args:
            decode_responses: return ``str`` rather than ``bytes``.
            direct: the faster, single-threaded fakeredis connection described in the
                module docstring (same replies and errors); FastStore clients always are.
        """
        if isinstance(self.server, FastStore):
            return self.server.client(decode_responses=decode_responses)
        cls = DirectFakeRedis if direct else fakeredis.FakeRedis
        client: redis.Redis = cls(server=self.server, decode_responses=decode_responses)
        return client
