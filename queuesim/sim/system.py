"""A simulated queue system: one environment, one store, a producer and workers, wired up once.

Every queue scenario (``queue``, ``retries``, ``crash``) needs the same parts: a
SimPy environment and its clock, the named random streams of one replication, the
simulation's Redis store, a network model, the queue's keys, a producer
connection that runs the real ``enqueue`` conversation, and simulated workers
running the real worker loop, woken when work arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from queuesim.queue import conversations as conv
from queuesim.queue.dispatch import WorkerSettings
from queuesim.queue.keys import QueueKeys
from queuesim.sim.clock import SimClock
from queuesim.sim.driver import SimDriver
from queuesim.sim.network import Network
from queuesim.sim.store import SimStore
from queuesim.sim.streams import RandomStreams
from queuesim.sim.workers import RunHandler, SimWorker, WakeBus

__all__ = ["QueueSystem", "StoreFactory", "default_store", "fakeredis_store"]

#: Makes the simulation's Redis client from a clock in seconds.
StoreFactory = Callable[[Callable[[], float]], Any]
EVENTS_MAXLEN = 1000


def default_store(clock: Callable[[], float]) -> Any:
    """The default store: a FastStore on the simulation's clock (the same scripts, run by LuaJIT)."""
    return SimStore(clock, backend="fast").client()


def fakeredis_store(clock: Callable[[], float]) -> Any:
    """fakeredis with the simulation's clock, through its direct client: the store to cross-check against."""
    return SimStore(clock).client(direct=True)


class QueueSystem:
    """The parts of one simulated replication (see the module docstring)."""

    def __init__(
        self,
        seed: int,
        replication: int = 0,
        *,
        rtt_ms: float = 0.0,
        store: StoreFactory | None = None,
        queue: str = "sim",
    ) -> None:
        self.env = simpy.Environment()
        self.clock = SimClock(self.env)
        self.streams = RandomStreams(seed, replication)
        self.store = (store or default_store)(self.clock.time)
        self.network = (Network.zero() if rtt_ms == 0
                        else Network.exponential(rtt_ms / 1000, self.streams["network"]))
        self.keys = QueueKeys(queue)
        self.bus = WakeBus()
        self.drivers: list[SimDriver] = []
        self.producer = self.connection()
        self.workers: list[SimWorker] = []

    def connection(self) -> SimDriver:
        """A new client connection to the store."""
        driver = SimDriver(self.env, self.store, network=self.network)
        self.drivers.append(driver)
        return driver

    def add_worker(self, handler: RunHandler, settings: WorkerSettings, name: str | None = None) -> SimWorker:
        """Start a worker (its own connection) running ``handler`` for each job it claims."""
        worker = SimWorker(self.env, self.connection(), self.keys, self.clock.now_ms, settings, handler,
                           bus=self.bus, name=name or f"w{len(self.workers)}", events_maxlen=EVENTS_MAXLEN)
        self.workers.append(worker)
        worker.start()
        return worker

    def enqueue(self, jobs: list[tuple[str, Any]]) -> Generator[Any, Any, list[str]]:
        """Enqueue (data JSON, ``JobOptions.fields()``) pairs with the real conversation; wakes workers."""
        ids = yield from self.producer.run(conv.enqueue(self.keys, EVENTS_MAXLEN, self.clock.now_ms(), jobs))
        for _ in jobs:
            self.bus.notify()
        return list(ids[0])

    def submit(self, jobs: list[tuple[str, Any]]) -> None:
        """Start enqueuing ``jobs`` (as :meth:`enqueue`) without waiting for it.

        When the producer's round trips take no virtual time, the enqueue is done before
        this returns (it cannot yield); otherwise it runs as a SimPy process of its own.
        """
        enqueuing = self.enqueue(jobs)
        if not self.producer.instant:
            self.env.process(enqueuing)
            return
        try:
            event = next(enqueuing)
        except StopIteration:
            return
        enqueuing.close()
        raise RuntimeError(f"an instant enqueue waited on {event!r}")

    def round_trips(self) -> int:
        """Round trips made by every connection so far."""
        return sum(d.stats.round_trips for d in self.drivers)
