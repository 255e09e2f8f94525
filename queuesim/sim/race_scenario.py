"""The ``race`` scenario: a flash sale on the stock or the seat service, in virtual time.

K buyers arrive as a Poisson stream; each has its own connection and runs the
real reservation conversation of one strategy against the simulation's store:
``naive`` (GET, then SET: the original course's code), ``watch`` (WATCH/MULTI
with retries) or ``atomic`` (one Lua script). Commands travel with a sampled
network delay, so the read and the write of a naive buyer are apart by about a
round trip, and every other buyer arriving in that window reads the same count.
Oversell grows with λ·RTT, the number of buyers that land in one window.
Buyers draw from the same named streams in every strategy and on either
service (common random numbers), so strategies are compared on identical arrivals.

What is on sale (:mod:`queuesim.sim.race_services`):

* ``stock`` (the default): units of one product; a buyer runs
  :func:`queuesim.stock.reserve` (``reserve_stock.lua`` for ``atomic``).
* ``seats``: the seats of exercise 13; a buyer runs
  :func:`queuesim.seats.reserve` for one seat (``reserve_seat.lua`` for
  ``atomic``; taking the last seat also switches reservations off). Live, that
  conversation is what a worker's job handler runs, one job per
  ``GET /reserve_seat``; the race leaves the queue out and models each
  reservation job as picked up at once by a worker of its own, so K jobs may
  overlap. That is the case that oversells: several server processes (each
  with its worker, all sharing the Redis count) or a worker with
  ``concurrency`` > 1. One worker running one job at a time, the original's
  default, serialises the jobs, and even ``naive`` cannot oversell there; with
  c workers at most c reservations overlap, so the race here is the worst
  case, and the queue scenario is where the queue's waits are simulated. A
  buyer arriving after the last seat is told "not enough seats" (live, the
  switch would answer "reservations are blocked" before any job): either way,
  rejected.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Generator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import simpy

from queuesim.drivers import SyncDriver
from queuesim.sim._checks import check_count, check_non_negative, check_positive
from queuesim.sim.clock import SimClock
from queuesim.sim.driver import SimDriver
from queuesim.sim.executor import Executor, Progress, using_executor
from queuesim.sim.network import Network
from queuesim.sim.race_services import RACE_SERVICES, Attempt, race_service
from queuesim.sim.stats import percentiles
from queuesim.sim.store import SimStore
from queuesim.sim.streams import RandomStreams

__all__ = [
    "RACE_SERVICES",
    "RaceConfig",
    "RacePoint",
    "RaceResult",
    "race_configs",
    "race_point",
    "race_replications",
    "simulate_race",
    "sweep_race",
]


@dataclass(frozen=True, slots=True)
class RaceConfig:
    """One flash sale (rates per second, times in ms where named so)."""

    strategy: str = "atomic"
    #: buyers, one reservation attempt each
    clients: int = 200
    #: units on sale (seats, for the seat service)
    stock: int = 50
    #: buyers per second (Poisson)
    arrival_rate: float = 1000.0
    #: client-Redis round trip (ms), one-way delays exponential with half of it as mean
    rtt_ms: float = 1.0
    #: client-side work between the read and the write (ms; naive and watch)
    think_ms: float = 0.0
    #: what is on sale: ``"stock"`` (one product) or ``"seats"`` (see :mod:`queuesim.sim.race_services`)
    service: str = "stock"

    def __post_init__(self) -> None:
        race_service(self.service).strategy(self.strategy)
        check_count(self.clients, "clients", 1)
        check_count(self.stock, "seats" if self.service == "seats" else "stock")
        check_positive(self.arrival_rate, "arrival rate")
        check_non_negative(self.rtt_ms, "rtt_ms")
        check_non_negative(self.think_ms, "think_ms")

    @property
    def load(self) -> float:
        """λ·RTT: buyers expected inside one read-write window."""
        return self.arrival_rate * self.rtt_ms / 1000


@dataclass(frozen=True, slots=True)
class RaceResult:
    """How the sale ended."""

    config: RaceConfig
    #: buyers told "confirmed"
    confirmed: int
    #: buyers told "not enough stock"/"not enough seats" (or, for watch, "too much contention")
    rejected: int
    #: confirmations beyond what was on sale (0 when the invariant holds)
    oversold: int
    #: what the store says is left (units of stock, or seats)
    final_stock: int
    #: aborted WATCH transactions retried
    retries: int
    #: reservation latency percentiles (ms, virtual time)
    latency_ms: dict[str, float] = field(default_factory=dict)

    @property
    def invariant_holds(self) -> bool:
        """sold + remaining = initial, and remaining ≥ 0."""
        return self.confirmed + self.final_stock == self.config.stock and self.final_stock >= 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the ``--json`` contract of ``queuesim simulate race``)."""
        return {"scenario": "race", "service": self.config.service, **asdict(self), "load": self.config.load,
                "invariant_holds": self.invariant_holds}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), sort_keys=True)


def simulate_race(config: RaceConfig, *, seed: int = 1, replication: int = 0) -> RaceResult:
    """Run one flash sale of ``config.stock`` units (or seats) to ``config.clients`` buyers."""
    service = race_service(config.service)
    env = simpy.Environment()
    clock = SimClock(env)
    streams = RandomStreams(seed, replication)
    store = SimStore(clock.time, backend="fast")
    SyncDriver(store.client()).run(service.reset(config.stock))
    network_stream = streams["network"]
    arrivals = streams["arrivals"]
    rtt_s = config.rtt_ms / 1000
    results: list[tuple[Attempt, float]] = []
    think = config.think_ms / 1000

    def buyer(driver: SimDriver) -> Generator[Any, Any, None]:
        start = env.now
        attempt = yield from driver.run(service.attempt(config.strategy, think))
        results.append((attempt, (env.now - start) * 1000))

    def source() -> Generator[Any, Any, None]:
        for _ in range(config.clients):
            yield env.timeout(arrivals.exponential(1 / config.arrival_rate))
            network = Network.zero() if rtt_s == 0 else Network.exponential(rtt_s, network_stream)
            env.process(buyer(SimDriver(env, store.client(direct=True), network=network)))

    env.process(source())
    env.run()
    final = SyncDriver(store.client()).run(service.remaining())
    confirmed = sum(1 for attempt, _ in results if attempt.confirmed)
    return RaceResult(
        config=config,
        confirmed=confirmed,
        rejected=len(results) - confirmed,
        oversold=max(0, confirmed - config.stock),
        final_stock=final,
        retries=sum(attempt.retries for attempt, _ in results),
        latency_ms=percentiles([ms for _, ms in results], (50, 99)),
    )


@dataclass(frozen=True, slots=True)
class RacePoint:
    """The mean outcome of one (service, strategy, λ, RTT) point of a sweep over replications."""

    strategy: str
    arrival_rate: float
    rtt_ms: float
    load: float
    confirmed: float
    oversold: float
    retries: float
    invariant_held: int
    replications: int
    #: what was on sale (``"stock"`` or ``"seats"``)
    service: str = "stock"


def sweep_race(
    strategies: Sequence[str],
    arrival_rates: Sequence[float],
    rtts_ms: Sequence[float],
    *,
    clients: int = 200,
    stock: int = 50,
    seed: int = 1,
    replications: int = 5,
    progress: Progress | None = None,
    service: str = "stock",
    executor: Executor | int | None = None,
) -> list[RacePoint]:
    """Every strategy at every (λ, RTT), ``replications`` sales each (common random numbers).

    ``stock`` is what is on sale: units of stock, or seats with ``service="seats"``.
    ``progress`` wraps the iterable of finished sales (e.g. ``tqdm``); ``executor``
    says where they run (see :func:`~queuesim.sim.queue_scenario.simulate_queue`),
    with the same points wherever they run.

    Raises:
        ValueError: an unknown service or strategy, or a parameter out of range (before any run).
    """
    configs = race_configs(strategies, arrival_rates, rtts_ms, clients=clients, stock=stock, service=service)
    with using_executor(executor) as running:
        runs = running.run(race_replications(configs, seed, replications), progress)
    return [race_point(config, runs[k * replications:(k + 1) * replications]) for k, config in enumerate(configs)]


def race_configs(
    strategies: Sequence[str],
    arrival_rates: Sequence[float],
    rtts_ms: Sequence[float],
    *,
    clients: int = 200,
    stock: int = 50,
    service: str = "stock",
) -> list[RaceConfig]:
    """The sales of :func:`sweep_race`, in its order: by λ, then RTT, then strategy.

    Raises:
        ValueError: an unknown service or strategy, or a parameter out of range.
    """
    return [RaceConfig(s, clients, stock, lam, rtt, service=service)
            for lam in arrival_rates for rtt in rtts_ms for s in strategies]


def race_replications(
    configs: Sequence[RaceConfig], seed: int, replications: int
) -> list[functools.partial[RaceResult]]:
    """The sales of a sweep as tasks for an executor: ``replications`` per config, config after config."""
    check_count(replications, "replications", 1)
    return [functools.partial(simulate_race, config, seed=seed, replication=r)
            for config in configs for r in range(replications)]


def race_point(config: RaceConfig, runs: Sequence[RaceResult]) -> RacePoint:
    """The mean outcome of ``runs``, the sales of ``config``."""
    count = len(runs)
    return RacePoint(
        strategy=config.strategy, arrival_rate=config.arrival_rate, rtt_ms=config.rtt_ms, load=config.load,
        confirmed=math.fsum(r.confirmed for r in runs) / count,
        oversold=math.fsum(r.oversold for r in runs) / count,
        retries=math.fsum(r.retries for r in runs) / count,
        invariant_held=sum(r.invariant_holds for r in runs),
        replications=count,
        service=config.service,
    )
