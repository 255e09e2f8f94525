"""The simulated store of each run: a fresh keyspace on the run's clock, and the connections to it.

Each run starts from an empty store whose clock is the run's virtual clock (key
expiry and stream ids follow it), with an empty script cache, so a script's first
``EVALSHA`` answers ``NOSCRIPT`` in every run alike. With the ``fast`` backend one
:class:`~queuesim.sim.fast_store.FastStore` serves all the runs of a finder and is
emptied between them (``FLUSHALL``, ``SCRIPT FLUSH``, every connection closed):
building its Lua state costs about 4 ms, emptying it a few microseconds, and what
it answers depends only on its keyspace, scripts and connections, so a run on a
reused store equals a run on a new one. ``fakeredis`` stores are new for each run
(a :class:`~queuesim.sim.SimStore`, cheap to make).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import fakeredis
import redis

from queuesim.race.client import Bridge, FakeRaceClient, FastRaceClient
from queuesim.race.trace import format_value
from queuesim.sim.fast_store import FastStore
from queuesim.sim.store import SimStore

__all__ = ["RunStore", "Stores"]

_SHOWN = 40  # characters of a value shown in a snapshot


class RunStore:
    """The store of one run: a plain client (setup, invariant) and the simulated clients' connections."""

    __slots__ = ("_clients", "_decode", "_fast", "_sim", "_snapshots", "plain")

    def __init__(self, clock: Callable[[], float], decode_responses: bool, fast: FastStore | None) -> None:
        self._decode = decode_responses
        self._clients: list[redis.Redis] = []
        self._fast = fast
        self._sim: SimStore | None = None
        if fast is not None:
            fast.clock = clock
        else:
            self._sim = SimStore(clock)
        self.plain = self._connect()
        self._snapshots: redis.Redis | None = None

    def _connect(self, decode_responses: bool | None = None) -> redis.Redis:
        decode = self._decode if decode_responses is None else decode_responses
        client: redis.Redis
        if self._fast is not None:
            client = self._fast.client(decode_responses=decode)
        else:
            assert self._sim is not None
            client = self._sim.client(decode_responses=decode, direct=True)
        self._clients.append(client)
        return client

    def empty(self) -> None:
        """Start from nothing: no keys, no scripts."""
        self.plain.flushall()
        self.plain.script_flush()

    def race_client(self, bridge: Bridge) -> redis.Redis:
        """A simulated client's own connection, suspending through ``bridge``."""
        client: redis.Redis
        if self._fast is not None:
            client = FastRaceClient(self._fast, bridge, decode_responses=self._decode)
        else:
            assert self._sim is not None
            client = FakeRaceClient(cast(fakeredis.FakeServer, self._sim.server), bridge, decode_responses=self._decode)
        self._clients.append(client)
        return client

    def snapshot(self) -> dict[str, str]:
        """Every key and its value, shortened for display (strings as they are, others as their repr)."""
        if self._snapshots is None:
            self._snapshots = self._connect(decode_responses=True)
        r = self._snapshots
        state: dict[str, str] = {}
        for key in sorted(str(k) for k in r.keys("*")):
            kind = r.type(key)
            value: Any
            if kind == "string":
                value = r.get(key)
            elif kind == "hash":
                value = r.hgetall(key)
            elif kind == "list":
                value = r.lrange(key, 0, -1)
            elif kind == "set":
                value = sorted(r.smembers(key))
            elif kind == "zset":
                value = r.zrange(key, 0, -1, withscores=True)
            else:
                value = f"<{kind!s}>"
            state[key] = format_value(value, _SHOWN)
        return state

    def close(self) -> None:
        """Close every connection of this run (their WATCH and MULTI state goes)."""
        for client in self._clients:
            client.close()
        self._clients.clear()


class Stores:
    """Where a series of runs keeps its data: one reused FastStore, or a new fakeredis store per run."""

    __slots__ = ("_fast", "backend")

    def __init__(self, backend: str = "fast") -> None:
        self.backend = backend
        self._fast: FastStore | None = None

    def __repr__(self) -> str:
        return f"<Stores {self.backend}>"

    def open(self, clock: Callable[[], float], decode_responses: bool = True) -> RunStore:
        """An empty store on ``clock`` for one run."""
        if self.backend == "fast" and self._fast is None:
            self._fast = FastStore(clock)
        store = RunStore(clock, decode_responses, self._fast if self.backend == "fast" else None)
        if self._fast is not None:
            store.empty()
        return store
