"""queuesim's own stock and seat services as race-finder targets: ``naive``, ``watch`` and ``atomic``.

The services run their reservation conversations through a
:class:`~queuesim.drivers.SyncDriver` on the client they are given; given a simulated
client, every command of theirs is a simulated round trip. ``naive`` is found racy;
``watch`` and ``atomic`` hold in every schedule.

Try: ``queuesim race-check queuesim.race.examples.services:stock_watch --setup stock_setup --invariant stock_check``
"""

from __future__ import annotations

from typing import Any

import redis

from queuesim.race.examples.stock import count_holds
from queuesim.seats import SeatService
from queuesim.stock import StockService, get_item_by_id

__all__ = [
    "PRODUCT",
    "SEATS",
    "seat_atomic",
    "seat_naive",
    "seat_watch",
    "seats_check",
    "seats_setup",
    "stock_atomic",
    "stock_check",
    "stock_naive",
    "stock_setup",
    "stock_watch",
]

#: The product on sale (the "Suitcase 250", 4 units).
PRODUCT = 1
#: Seats on sale.
SEATS = 4


def _initial_stock() -> int:
    product = get_item_by_id(PRODUCT)
    assert product is not None
    return product.initial_quantity


def stock_setup(r: redis.Redis) -> None:
    """The product's initial stock."""
    StockService(r).reset(item_id=PRODUCT)


def stock_naive(r: redis.Redis, i: int) -> bool:
    """One unit with the ``naive`` strategy (GET then SET)."""
    return StockService(r, "naive").reserve(PRODUCT).confirmed


def stock_watch(r: redis.Redis, i: int) -> bool:
    """One unit with the ``watch`` strategy (WATCH/MULTI, retried)."""
    return StockService(r, "watch").reserve(PRODUCT).confirmed


def stock_atomic(r: redis.Redis, i: int) -> bool:
    """One unit with the ``atomic`` strategy (``reserve_stock.lua``)."""
    return StockService(r, "atomic").reserve(PRODUCT).confirmed


def stock_check(r: redis.Redis, results: list[Any]) -> bool | str:
    """Units confirmed + units remaining = the initial stock, remaining ≥ 0."""
    remaining = StockService(r).current_quantity(PRODUCT)
    assert remaining is not None
    return count_holds(sum(1 for result in results if result is True), remaining, _initial_stock())


def seats_setup(r: redis.Redis) -> None:
    """:data:`SEATS` seats, reservations on."""
    SeatService(r).reset(SEATS)


def seat_naive(r: redis.Redis, i: int) -> bool:
    """One seat with the ``naive`` strategy."""
    return SeatService(r, "naive").reserve().reserved


def seat_watch(r: redis.Redis, i: int) -> bool:
    """One seat with the ``watch`` strategy."""
    return SeatService(r, "watch").reserve().reserved


def seat_atomic(r: redis.Redis, i: int) -> bool:
    """One seat with the ``atomic`` strategy (``reserve_seat.lua``)."""
    return SeatService(r, "atomic").reserve().reserved


def seats_check(r: redis.Redis, results: list[Any]) -> bool | str:
    """Seats taken + seats left = :data:`SEATS`, left ≥ 0, reservations on exactly while seats are left."""
    service = SeatService(r)
    left = service.available_seats()
    verdict = count_holds(sum(1 for result in results if result is True), left, SEATS)
    if verdict is not True:
        return verdict
    if service.reservation_enabled() != (left > 0):
        return f"reservations are {'on' if left == 0 else 'off'} with {left} seats left"
    return True
