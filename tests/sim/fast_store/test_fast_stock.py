"""The stock service's conversations and reserve_stock.lua on FastStore and fakeredis: same outcomes, same data.

Runs where the stock service (exercise 12) is part of the package.
"""

from __future__ import annotations

from typing import Any

import pytest
from diffkit import Store, assert_same, assert_same_data, outcome

from queuesim.drivers import SyncDriver

stock = pytest.importorskip("queuesim.stock")


def attempt(driver: SyncDriver, conversation: Any) -> str:
    """A conversation's result, or the kind of error it raised (a corrupt count is a ValueError)."""
    try:
        return repr(driver.run(conversation))
    except ValueError as exc:
        return f"ValueError: {exc}"


@pytest.mark.parametrize("strategy", ["naive", "watch", "atomic"])
def test_reserving_until_sold_out(stores: list[Store], strategy: str) -> None:
    drivers = {s.name: SyncDriver(s.clients[0]) for s in stores}
    for product in stock.PRODUCTS:
        for _ in range(product.initial_quantity + 2):
            results: dict[str, Any] = {
                name: outcome(lambda d=d, p=product: d.run(stock.reserve(p, strategy))) for name, d in drivers.items()
            }
            assert_same({name: repr(r) for name, r in results.items()})
    assert_same({name: d.run(stock.current_quantity(stock.PRODUCTS[1])) for name, d in drivers.items()})
    assert_same_data(stores)


@pytest.mark.parametrize("strategy", ["naive", "watch", "atomic"])
def test_corrupt_and_negative_counts(stores: list[Store], strategy: str) -> None:
    product = stock.PRODUCTS[0]
    key = stock.stock_key(product)
    for value in ("12abc", "-3", "1e3", "999999999999999", "0"):
        for s in stores:
            s.clients[0].execute_command("SET", key, value)
        assert_same({s.name: attempt(SyncDriver(s.clients[0]), stock.reserve(product, strategy)) for s in stores},
                    value)
    assert_same_data(stores)


def test_reset(stores: list[Store]) -> None:
    for quantity in (None, 7):
        for s in stores:
            SyncDriver(s.clients[0]).run(stock.reset(stock.PRODUCTS, quantity))
        assert_same_data(stores)
