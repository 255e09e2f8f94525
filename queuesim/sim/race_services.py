"""What is on sale in the ``race`` scenario: the stock service or the seat service.

A :class:`RaceService` names the real conversations of one reservation
service that a simulated buyer runs, so the race scenario itself knows nothing
about products or seats:

* ``stock`` (exercise 12): one product's remaining stock, ``item.1``; a buyer
  runs :func:`queuesim.stock.reserve` for one unit.
* ``seats`` (exercise 13): the seats left, ``available_seats``; a buyer runs
  :func:`queuesim.seats.reserve` for one seat, which also switches
  reservations off when it takes the last seat (``atomic``: in the same step
  of ``reserve_seat.lua``; ``watch``: in the same transaction).

Both are the strategies of :mod:`queuesim.supply`, written once; nothing here
re-implements them; a buyer's :class:`Attempt` is read from the outcome
every reservation carries (confirmed or not, and the ``watch`` retries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from queuesim import seats, stock
from queuesim.drivers import Conversation
from queuesim.supply import Strategy

__all__ = ["RACE_SERVICES", "Attempt", "RaceService", "race_service"]


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one buyer's reservation ended: confirmed or not, and its aborted ``watch`` transactions."""

    confirmed: bool
    retries: int


@dataclass(frozen=True, slots=True)
class RaceService:
    """A reservation service as the race drives it: its conversations, named once.

    Args:
        name: the service's name on the command line (``stock`` or ``seats``).
        noun: what a strategy error names (``Strategy.parse``'s ``service``).
        unit: what is on sale, for messages ("units", "seats").
        reset: conversation factory: put ``count`` on sale.
        reserve: conversation factory: one buyer's reservation (the service's own
            conversation) with a strategy and a think time, and its outcome.
        remaining: conversation factory: what the store says is left.
    """

    name: str
    noun: str
    unit: str
    reset: Callable[[int], Conversation[None]]
    reserve: Callable[[Strategy, float], Conversation[Attempt]]
    remaining: Callable[[], Conversation[int]]

    def strategy(self, value: Strategy | str) -> Strategy:
        """``value`` as a strategy; an unknown name raises ``ValueError`` naming this service."""
        return Strategy.parse(value, self.noun)

    def attempt(self, strategy: Strategy | str, think: float = 0.0) -> Conversation[Attempt]:
        """Conversation: one buyer's reservation with ``strategy``; how it ended.

        Raises:
            ValueError: an unknown strategy or a bad think time (when called, not when run).
        """
        return self.reserve(self.strategy(strategy), think)


_PRODUCT = stock.PRODUCTS[0]


def _reserve_unit(strategy: Strategy, think: float) -> Conversation[Attempt]:
    return _stock_attempt(stock.reserve(_PRODUCT, strategy, think=think))


def _stock_attempt(reserving: Conversation[stock.Reservation]) -> Conversation[Attempt]:
    outcome = yield from reserving
    return Attempt(outcome.confirmed, outcome.retries)


def _reserve_seat(strategy: Strategy, think: float) -> Conversation[Attempt]:
    return _seat_attempt(seats.reserve(strategy, think=think))


def _seat_attempt(reserving: Conversation[seats.SeatReservation]) -> Conversation[Attempt]:
    outcome = yield from reserving
    return Attempt(outcome.reserved, outcome.retries)


def _reset_stock(count: int) -> Conversation[None]:
    return stock.reset([_PRODUCT], quantity=count)


def _stock_left() -> Conversation[int]:
    return stock.current_quantity(_PRODUCT)


_SERVICES = {
    "stock": RaceService("stock", "stock", "units", _reset_stock, _reserve_unit, _stock_left),
    "seats": RaceService("seats", "seat", "seats", seats.reset, _reserve_seat, seats.current_seats),
}
#: The services a race can be run on (the first is the default).
RACE_SERVICES: tuple[str, ...] = tuple(_SERVICES)


def race_service(name: str) -> RaceService:
    """The service called ``name``.

    Raises:
        ValueError: no such service (the message lists the choices).
    """
    if isinstance(name, str) and name in _SERVICES:
        return _SERVICES[name]
    raise ValueError(f"unknown race service {name!r}; choose one of {', '.join(RACE_SERVICES)}")
