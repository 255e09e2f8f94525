"""The ``race`` scenario: a flash sale on the stock service, in virtual time.

K buyers arrive as a Poisson stream; each has its own connection and runs the
real reservation conversation of one strategy against the simulation's store:
``naive`` (GET, then SET: the original course's code), ``watch`` (WATCH/MULTI
with retries) or ``atomic`` (one Lua script). Commands travel with a sampled
network delay, so the read and the write of a naive buyer are apart by about a
round trip, and every other buyer arriving in that window reads the same stock.
Oversell grows with λ·RTT, the number of buyers that land in one window.
Buyers draw from the same named streams in every strategy (common random
numbers), so strategies are compared on identical arrivals.
"""

from __future__ import annotations

import json
import math
from collections.abc import Generator, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import simpy

from queuesim.drivers import SyncDriver
from queuesim.sim._checks import check_count, check_non_negative, check_positive
from queuesim.sim.clock import SimClock
from queuesim.sim.driver import SimDriver
from queuesim.sim.network import Network
from queuesim.sim.stats import percentiles
from queuesim.sim.store import SimStore
from queuesim.sim.streams import RandomStreams
from queuesim.stock import PRODUCTS, ReservationStatus, StockStrategy, reserve, reset, stock_key

__all__ = ["RaceConfig", "RaceResult", "simulate_race", "sweep_race"]

PRODUCT = PRODUCTS[0]


@dataclass(frozen=True, slots=True)
class RaceConfig:
    """One flash sale (rates per second, times in ms where named so)."""

    strategy: str = "atomic"
    #: buyers, one reservation attempt each
    clients: int = 200
    #: units on sale
    stock: int = 50
    #: buyers per second (Poisson)
    arrival_rate: float = 1000.0
    #: client-Redis round trip (ms), one-way delays exponential with half of it as mean
    rtt_ms: float = 1.0
    #: client-side work between the read and the write (ms; naive and watch)
    think_ms: float = 0.0

    def __post_init__(self) -> None:
        StockStrategy.parse(self.strategy)
        check_count(self.clients, "clients", 1)
        check_count(self.stock, "stock")
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
    #: buyers told "not enough stock" (or, for watch, "too much contention")
    rejected: int
    #: confirmations beyond the stock (0 when the invariant holds)
    oversold: int
    #: what the store says is left
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
        return {"scenario": "race", **asdict(self), "load": self.config.load, "invariant_holds": self.invariant_holds}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), sort_keys=True)


def simulate_race(config: RaceConfig, *, seed: int = 1, replication: int = 0) -> RaceResult:
    """Run one flash sale."""


    env = simpy.Environment()
    clock = SimClock(env)
    streams = RandomStreams(seed, replication)
    store = SimStore(clock.time, backend="fast")
    SyncDriver(store.client()).run(reset([PRODUCT], quantity=config.stock))
    network_stream = streams["network"]
    arrivals = streams["arrivals"]
    rtt_s = config.rtt_ms / 1000
    results: list[tuple[ReservationStatus, int, float]] = []
    think = config.think_ms / 1000

    def buyer(driver: SimDriver) -> Generator[Any, Any, None]:
        start = env.now
        result = yield from driver.run(reserve(PRODUCT, config.strategy, think=think))
        results.append((result.status, result.retries, (env.now - start) * 1000))

    def source() -> Generator[Any, Any, None]:
        for _ in range(config.clients):
            yield env.timeout(arrivals.exponential(1 / config.arrival_rate))
            network = Network.zero() if rtt_s == 0 else Network.exponential(rtt_s, network_stream)
            env.process(buyer(SimDriver(env, store.client(direct=True), network=network)))

    env.process(source())
    env.run()
    final = int(store.client().get(stock_key(PRODUCT)) or 0)
    confirmed = sum(1 for status, _, _ in results if status is ReservationStatus.CONFIRMED)
    return RaceResult(
        config=config,
        confirmed=confirmed,
        rejected=len(results) - confirmed,
        oversold=max(0, confirmed - config.stock),
        final_stock=final,
        retries=sum(r for _, r, _ in results),
        latency_ms=percentiles([ms for _, _, ms in results], (50, 99)),
    )


@dataclass(frozen=True, slots=True)
class RacePoint:
    """The mean outcome of one (strategy, λ, RTT) point of a sweep over replications."""

    strategy: str
    arrival_rate: float
    rtt_ms: float
    load: float
    confirmed: float
    oversold: float
    retries: float
    invariant_held: int
    replications: int


def sweep_race(
    strategies: Sequence[str],
    arrival_rates: Sequence[float],
    rtts_ms: Sequence[float],
    *,
    clients: int = 200,
    stock: int = 50,
    seed: int = 1,
    replications: int = 5,
    progress: Any = None,
) -> list[RacePoint]:
    """Every strategy at every (λ, RTT), ``replications`` sales each (common random numbers)."""
    grid = [(s, lam, rtt) for lam in arrival_rates for rtt in rtts_ms for s in strategies]
    items: Iterable[tuple[str, float, float]] = progress(grid) if progress is not None else grid
    points = []
    for strategy, lam, rtt in items:
        runs = [simulate_race(RaceConfig(strategy, clients, stock, lam, rtt), seed=seed, replication=r)
                for r in range(replications)]
        points.append(RacePoint(
            strategy=strategy, arrival_rate=lam, rtt_ms=rtt, load=lam * rtt / 1000,
            confirmed=math.fsum(r.confirmed for r in runs) / replications,
            oversold=math.fsum(r.oversold for r in runs) / replications,
            retries=math.fsum(r.retries for r in runs) / replications,
            invariant_held=sum(r.invariant_holds for r in runs),
            replications=replications,
        ))
    return points
