"""The very same stock conversations in SimPy virtual time: the race shows up, reproducibly from a seed."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import simpy

from queuesim.sim import Network, RandomStreams, SimDriver, SimStore
from queuesim.stock import PRODUCTS, ReservationStatus, reserve

BUYERS = 40
STOCK = PRODUCTS[0].initial_quantity


def flash_sale(strategy: str, *, think: float, seed: int = 7) -> tuple[Counter[str], int, float]:
    """BUYERS simulated clients, each with its own connection, reserve product 1 at Poisson instants.

    Returns the outcomes, the retries and the virtual time the sale took.
    """
    env = simpy.Environment()
    store = SimStore(lambda: float(env.now))
    streams = RandomStreams(seed)
    outcomes: Counter[str] = Counter()
    retries = 0

    def buyer(driver: SimDriver, arrival: float) -> Any:
        nonlocal retries
        yield env.timeout(arrival)
        result = yield from driver.run(reserve(PRODUCTS[0], strategy, think=think))
        outcomes[result.status.name] += 1
        retries += result.retries

    arrival = 0.0
    for _ in range(BUYERS):
        arrival += streams["arrivals"].exponential(1 / 2000)  # 2000 buyers/s: many overlap
        driver = SimDriver(env, store.client(), network=Network.exponential(0.001, streams["network"]))
        env.process(buyer(driver, arrival))
    env.run()
    left = store.client().get("item.1")
    assert left is not None
    assert int(left) >= 0
    return outcomes, retries, float(env.now)


@pytest.mark.parametrize("strategy", ["atomic", "watch"])
def test_safe_strategies_sell_exactly_the_stock_in_virtual_time(strategy: str) -> None:
    outcomes, retries, _ = flash_sale(strategy, think=0.002)
    assert outcomes == {
        ReservationStatus.CONFIRMED.name: STOCK,
        ReservationStatus.NOT_ENOUGH_STOCK.name: BUYERS - STOCK,
    }
    if strategy == "watch":
        assert retries > 0  # the overlaps are there: WATCH caught them


def test_naive_oversells_in_virtual_time_and_the_seed_reproduces_it() -> None:
    first = flash_sale("naive", think=0.002)
    assert first[0][ReservationStatus.CONFIRMED.name] > STOCK
    assert flash_sale("naive", think=0.002) == first  # same seed, same interleavings, same oversell


def test_think_time_is_virtual() -> None:
    slow = flash_sale("naive", think=5.0)
    fast = flash_sale("naive", think=0.0)
    assert slow[2] - fast[2] == pytest.approx(5.0, abs=0.1)  # the sale took 5 s longer, in virtual time
