"""Exercise 13, "Can I have a seat?": the seats left, the reservations switch, and reserving a seat.

Two Redis keys hold the whole state, so every server process sees the same
values and a restart changes nothing:

* ``available_seats``: the seats left. A missing key means the initial 50
  (:data:`INITIAL_SEATS`); a server writes 50 at its first start only if the key
  does not exist, and only :func:`reset` (``queuesim reset seats``) puts a value back.
* ``reservation_enabled``: the on/off switch of ``GET /reserve_seat``. ``"0"``
  means off; a missing key (or ``"1"``) means on. Taking the last seat switches
  it off in the same step.

Reserving a seat uses the strategies of :mod:`queuesim.supply`: ``atomic`` (the
default: ``reserve_seat.lua`` decrements only if the count stays >= 0 and
switches reservations off at 0, in one step), ``watch`` (optimistic locking:
the decrement and the switch in one ``MULTI``/``EXEC``, retried on conflict) and
``naive`` (the original's ``GET`` then ``SET``, which sells the same seat twice
under concurrency: a teaching foil, never the default). With ``watch`` and
``atomic`` the count never goes below 0 and exactly the available seats are
reserved. The queue side (jobs, the worker, the log lines) is in
:mod:`queuesim.seat_jobs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import redis

from queuesim.drivers import Batch, Conversation, SyncDriver
from queuesim.scripts import load_script
from queuesim.supply import (
    DEFAULT_MAX_RETRIES,
    Strategy,
    StrategyService,
    Supply,
    Take,
    TakeStatus,
    check_count,
    read,
    take,
)

__all__ = [
    "INITIAL_SEATS",
    "NOT_ENOUGH_SEATS",
    "SEATS_KEY",
    "SWITCH_KEY",
    "SeatReservation",
    "SeatService",
    "SeatStatus",
    "current_seats",
    "get_current_available_seats",
    "initialize",
    "reservation_enabled",
    "reserve",
    "reserve_seat",
    "reset",
    "reset_seats",
    "set_reservation_enabled",
]

#: The Redis key holding the seats left.
SEATS_KEY = "available_seats"
#: The Redis key of the reservations switch (``"0"``: off; missing or ``"1"``: on).
SWITCH_KEY = "reservation_enabled"
#: The seats at first start (and after a plain reset).
INITIAL_SEATS = 50
#: The error of a reservation job that finds no seat.
NOT_ENOUGH_SEATS = "Not enough seats available"

_SEATS = Supply(
    SEATS_KEY,
    INITIAL_SEATS,
    "seat count",
    load_script("reserve_seat"),
    script_keys=(SWITCH_KEY,),
    when_empty=(("SET", SWITCH_KEY, "0"),),
)
_SWITCH_VALUES: dict[str | None, bool] = {None: True, "1": True, "0": False}


class SeatStatus(StrEnum):
    """The outcome of a seat reservation."""

    RESERVED = "Seat reserved"  #: one seat taken
    NO_SEATS = NOT_ENOUGH_SEATS  #: no seat left; nothing taken
    CONTENDED = "Too much contention"  #: ``watch`` gave up after its retries; nothing taken


@dataclass(frozen=True, slots=True)
class SeatReservation:
    """What a seat reservation did.

    ``remaining`` is the seat count as this client saw it (after its own
    decrement when reserved; ``None`` when ``watch`` gave up); ``retries``
    counts the aborted transactions of ``watch`` (0 for the other strategies).
    """

    status: SeatStatus
    remaining: int | None
    retries: int = 0

    def __repr__(self) -> str:
        extra = "" if self.remaining is None else f" remaining={self.remaining}"
        extra += f" retries={self.retries}" if self.retries else ""
        return f"<SeatReservation {self.status.name.lower()}{extra}>"

    @property
    def reserved(self) -> bool:
        """Whether a seat was reserved."""
        return self.status is SeatStatus.RESERVED


def _check_seats(seats: int) -> int:
    return check_count(seats, minimum=0, what="seats")


# --------------------------------------------------------------------------- conversations


def current_seats() -> Conversation[int]:
    """Conversation: the seats left (:data:`INITIAL_SEATS` if the key was never written)."""
    return read(_SEATS)


def reservation_enabled() -> Conversation[bool]:
    """Conversation: whether reservations are on.

    Raises:
        ValueError: the switch key holds something other than ``"0"`` or ``"1"``.
    """
    raw = yield ("GET", SWITCH_KEY)
    text = raw.decode() if isinstance(raw, bytes) else raw
    if text not in _SWITCH_VALUES:
        raise ValueError(f"{SWITCH_KEY} holds {text!r}, not '0' or '1'")
    return _SWITCH_VALUES[text]


def set_reservation_enabled(enabled: bool) -> Conversation[None]:
    """Conversation: switch reservations on or off (shared by every server process)."""
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool, not {type(enabled).__name__}")
    return _set_switch(enabled)


def _set_switch(enabled: bool) -> Conversation[None]:
    yield ("SET", SWITCH_KEY, "1" if enabled else "0")


_STATUS = {
    TakeStatus.TAKEN: SeatStatus.RESERVED,
    TakeStatus.SHORT: SeatStatus.NO_SEATS,
    TakeStatus.CONTENDED: SeatStatus.CONTENDED,
}


def reserve(
    strategy: Strategy | str = Strategy.ATOMIC,
    *,
    think: float = 0.0,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> Conversation[SeatReservation]:
    """Conversation: reserve one seat with ``strategy``; the last seat switches reservations off.

    Args:
        strategy: ``"atomic"`` (default), ``"watch"`` or ``"naive"`` (racy; for teaching only).
        think: seconds of client-side work between read and write (``naive``/``watch``).
        max_retries: aborted transactions ``watch`` retries before answering
            :attr:`SeatStatus.CONTENDED`.

    Raises:
        ValueError: an unknown strategy, or an argument out of range.
    """
    chosen = Strategy.parse(strategy, "seat")
    return _reserve(take(_SEATS, chosen, think=think, max_retries=max_retries))


def _reserve(taking: Conversation[Take]) -> Conversation[SeatReservation]:
    result = yield from taking
    return SeatReservation(_STATUS[result.status], result.left, result.retries)


def reset(seats: int = INITIAL_SEATS) -> Conversation[None]:
    """Conversation: ``seats`` seats, and reservations on (off when ``seats`` is 0), in one transaction.

    Raises:
        ValueError: ``seats`` is negative or too large.
    """
    _check_seats(seats)
    return _reset(seats)


def _reset(seats: int) -> Conversation[None]:
    yield Batch.of([("SET", SEATS_KEY, seats), ("SET", SWITCH_KEY, "1" if seats else "0")], atomic=True)


def initialize(seats: int = INITIAL_SEATS) -> Conversation[bool]:
    """Conversation: write ``seats`` only if ``available_seats`` does not exist; True if it wrote.

    A server runs this at startup: the first start stores 50, a restart keeps
    whatever count (and switch) is stored.
    """
    _check_seats(seats)
    return _initialize(seats)


def _initialize(seats: int) -> Conversation[bool]:
    written = yield ("SET", SEATS_KEY, seats, "NX")
    return bool(written)


# --------------------------------------------------------------------------- the service


class SeatService(StrategyService):
    """The seats and their reservation on a synchronous client (real Redis or the embedded store).

    Example::

        seats = SeatService(connect())
        seats.reserve()            # <SeatReservation reserved remaining=49>
        seats.available_seats()    # 49
    """

    __slots__ = ()
    noun = "seat"
    _driver: SyncDriver

    def available_seats(self) -> int:
        """The seats left."""
        return self._driver.run(current_seats())

    def reservation_enabled(self) -> bool:
        """Whether reservations are on."""
        return self._driver.run(reservation_enabled())

    def set_reservation_enabled(self, enabled: bool) -> None:
        """Switch reservations on or off."""
        self._driver.run(set_reservation_enabled(enabled))

    def reserve(self) -> SeatReservation:
        """Try to reserve one seat."""
        return self._driver.run(reserve(self.strategy, think=self.think, max_retries=self.max_retries))

    def reset(self, seats: int = INITIAL_SEATS) -> None:
        """Store ``seats`` seats and switch reservations on (off for 0 seats)."""
        self._driver.run(reset(seats))

    def initialize(self, seats: int = INITIAL_SEATS) -> bool:
        """Store ``seats`` seats unless a count is stored already; True if it wrote."""
        return self._driver.run(initialize(seats))


# --------------------------------------------------------------------------- the original's names


def get_current_available_seats(client: redis.Redis) -> int:
    """The seats left (the original's ``getCurrentAvailableSeats``), as an int."""
    return SeatService(client).available_seats()


def reserve_seat(
    client: redis.Redis, strategy: Strategy | str = Strategy.ATOMIC, *, think: float = 0.0
) -> SeatReservation:
    """Reserve one seat with ``strategy`` (default: the atomic script).

    The original's ``reserveSeat(number)`` *set* the count, after its caller had
    read it: the GET-then-SET race. This one takes a seat, atomically by default.
    """
    return SeatService(client, strategy, think=think).reserve()


def reset_seats(client: redis.Redis, seats: int = INITIAL_SEATS) -> None:
    """Store ``seats`` seats (50 by default) and switch reservations on (off for 0)."""
    SeatService(client).reset(seats)
