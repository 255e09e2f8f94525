"""Taking units from a count kept in one Redis key: the three strategies, written once.

Both reservation services keep a count in Redis (a product's remaining stock,
exercise 12; the available seats, exercise 13) and take from it. *How* they
take is the lesson, so three strategies exist, each a conversation (see
:mod:`queuesim.drivers`):

* ``atomic`` (the default): one Lua script reads, checks and decrements in a
  single step; nothing can land in between, so exactly the count is handed
  out, whatever the concurrency.
* ``watch``: optimistic locking. ``WATCH`` the key, read it, then write in a
  ``MULTI``/``EXEC`` transaction; Redis aborts the transaction if the key
  changed since the ``WATCH``, and the client tries again (a bounded number of
  times). Correct, but contention costs retries.
* ``naive``: ``GET``, then ``SET`` to one less, as the original Express
  services did. Two clients that read the same value both succeed: the count
  is oversold. Kept only as a teaching foil; never the default.

A :class:`Supply` names the key, the count a missing key stands for, the Lua
script of the ``atomic`` strategy and what else to write when the count runs
out (the seat service switches reservations off). ``think`` is client-side work
between the read and the write (seconds): the conversation yields a
:class:`~queuesim.drivers.Pause`, which the driver honours (a real sleep, an
``asyncio.sleep``, or virtual time in a simulation). It widens the race window
of ``naive`` and the retry window of ``watch``; ``atomic`` has no window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import redis.exceptions

from queuesim.drivers import AsyncDriver, Batch, Command, Conversation, Pause, SyncDriver
from queuesim.scripts import Script

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "MAX_COUNT",
    "Strategy",
    "StrategyService",
    "Supply",
    "Take",
    "TakeStatus",
    "check_count",
    "check_think",
    "parse_count",
    "read",
    "take",
]

#: How many times the ``watch`` strategy retries after an aborted transaction.
DEFAULT_MAX_RETRIES = 100
#: The largest count a supply can be given (Lua numbers stay exact well beyond it).
MAX_COUNT = 10**12

_COUNT = re.compile(r"-?[0-9]{1,15}", re.ASCII)  # as the Lua scripts accept


class Strategy(StrEnum):
    """How a reservation checks and decrements a count."""

    NAIVE = "naive"  #: GET then SET: racy, oversells under concurrency (teaching foil)
    WATCH = "watch"  #: WATCH, GET, MULTI/SET/EXEC, retried when another client got there first
    ATOMIC = "atomic"  #: one Lua script: check and decrement in a single atomic step

    @classmethod
    def parse(cls, value: Strategy | str, service: str = "reservation") -> Strategy:
        """The strategy named ``value`` (``service`` names the caller in the error message).

        Raises:
            ValueError: no strategy has that name (the message lists them).
        """
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown {service} strategy {value!r}; choose one of {names}") from None


class TakeStatus(StrEnum):
    """How an attempt to take units ended."""

    TAKEN = "taken"  #: the units were taken
    SHORT = "short"  #: fewer units were left than asked for; nothing was taken
    CONTENDED = "contended"  #: ``watch`` gave up after its retries; nothing was taken


@dataclass(frozen=True, slots=True)
class Take:
    """What one attempt to take units did.

    ``left`` is the count as this client saw it (after its own decrement when
    taken; ``None`` when it gave up); ``retries`` counts the aborted
    transactions of the ``watch`` strategy (0 for the others).
    """

    status: TakeStatus
    left: int | None
    retries: int = 0


@dataclass(frozen=True, slots=True)
class Supply:
    """A count of units kept in one Redis key, and how to take from it.

    Args:
        key: the Redis key holding the count (a string of decimal digits).
        initial: what a missing key stands for.
        noun: what the count is, for error messages ("stock count").
        script: the ``atomic`` strategy's Lua script. Its KEYS are ``key`` then
            ``script_keys``; its ARGV are ``initial`` and the quantity; it returns
            ``{1, left}`` (taken), ``{0, left}`` (short) or ``{-1, raw}`` (the key
            holds no integer), as ``reserve_stock.lua`` does.
        script_keys: further keys the script touches.
        when_empty: commands the ``naive`` and ``watch`` strategies also send once
            an attempt finds the count at 0 or below, or takes it there (``watch``
            writes them in the same transaction as the decrement). They are sent
            one by one (a plain loop: ``yield from`` a tuple cannot take replies).
    """

    key: str
    initial: int
    noun: str
    script: Script
    script_keys: tuple[str, ...] = ()
    when_empty: tuple[Command, ...] = ()

    def count(self, raw: Any) -> int:
        """The count from a GET reply: a missing key means ``initial``; 0 stays 0."""
        return parse_count(raw, self.key, self.noun, self.initial)


def parse_count(raw: Any, key: str, noun: str, initial: int) -> int:
    """A count read from ``key``: ``initial`` for a missing key (``None``).

    Raises:
        ValueError: the key holds anything but an integer of at most 15 digits.
    """
    if raw is None:
        return initial
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    if not _COUNT.fullmatch(text):
        raise ValueError(f"{key} holds {text!r}, not a {noun}")
    return int(text)


def check_count(value: int, *, minimum: int, what: str) -> int:
    """``value`` if it is an int between ``minimum`` and :data:`MAX_COUNT`.

    Raises:
        TypeError: not an int (``bool`` included).
        ValueError: out of range (the message names ``what``).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not minimum <= value <= MAX_COUNT:
        raise ValueError(f"{what} must be between {minimum} and {MAX_COUNT}, got {value}")
    return value


def check_think(think: float) -> float:
    """``think`` as a float if it is a valid pause (a finite number >= 0); else ``Pause``'s error."""
    Pause(think)  # validates
    return float(think)


# --------------------------------------------------------------------------- conversations


def read(supply: Supply) -> Conversation[int]:
    """Conversation: the current count (``initial`` if the key was never written)."""
    raw = yield ("GET", supply.key)
    return supply.count(raw)


def take(
    supply: Supply,
    strategy: Strategy | str = Strategy.ATOMIC,
    *,
    quantity: int = 1,
    think: float = 0.0,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> Conversation[Take]:
    """Conversation: take ``quantity`` units of ``supply`` with ``strategy``.

    Arguments are checked now, when the conversation is made, not when it runs.

    Raises:
        ValueError: an unknown strategy, or an argument out of range.
        TypeError: an argument of the wrong type.
    """
    chosen = Strategy.parse(strategy)
    check_count(quantity, minimum=1, what="quantity")
    think = check_think(think)
    check_count(max_retries, minimum=0, what="max_retries")
    if chosen is Strategy.NAIVE:
        return _take_naive(supply, quantity, think)
    if chosen is Strategy.WATCH:
        return _take_watch(supply, quantity, think, max_retries)
    return _take_atomic(supply, quantity)


def _take_naive(supply: Supply, quantity: int, think: float) -> Conversation[Take]:
    left = supply.count((yield ("GET", supply.key)))
    if left < quantity:
        if left <= 0:
            for command in supply.when_empty:
                yield command
        return Take(TakeStatus.SHORT, left)
    if think:
        yield Pause(think)
    # Another client may have read the same value meanwhile: both write left - 1.
    yield ("SET", supply.key, left - quantity)
    if left - quantity <= 0:
        for command in supply.when_empty:
            yield command
    return Take(TakeStatus.TAKEN, left - quantity)


def _take_watch(supply: Supply, quantity: int, think: float, max_retries: int) -> Conversation[Take]:
    retries = 0
    while True:
        yield ("WATCH", supply.key)
        left = supply.count((yield ("GET", supply.key)))
        if left < quantity:
            yield ("UNWATCH",)
            if left <= 0:
                for command in supply.when_empty:  # noqa: UP028 (a tuple cannot take the replies sent in)
                    yield command
            return Take(TakeStatus.SHORT, left, retries)
        if think:
            yield Pause(think)
        writes: list[Command] = [("SET", supply.key, left - quantity)]
        if left - quantity <= 0:
            writes.extend(supply.when_empty)
        try:
            yield Batch.of(writes, atomic=True)
        except redis.exceptions.WatchError:
            # Someone changed the key after our WATCH: EXEC did nothing. Read again.
            if retries >= max_retries:
                return Take(TakeStatus.CONTENDED, None, retries)
            retries += 1
            continue
        return Take(TakeStatus.TAKEN, left - quantity, retries)


def _take_atomic(supply: Supply, quantity: int) -> Conversation[Take]:
    taken, left = yield supply.script([supply.key, *supply.script_keys], [supply.initial, quantity])
    if int(taken) < 0:  # the key holds no integer: the same error as the other strategies
        text = left.decode() if isinstance(left, bytes) else str(left)
        raise ValueError(f"{supply.key} holds {text!r}, not a {supply.noun}")
    return Take(TakeStatus.TAKEN if int(taken) else TakeStatus.SHORT, int(left))


class StrategyService:
    """Base of the reservation services: a driver and how to reserve, validated once.

    Subclasses set :attr:`noun` (named in error messages) and, for an asyncio
    client, :attr:`driver_class` = ``AsyncDriver``.

    Args:
        client: a Redis client (sync, or asyncio with an ``AsyncDriver`` subclass).
        strategy: ``"atomic"`` (default), ``"watch"`` or ``"naive"`` (racy; for teaching only).
        think: seconds of client-side work between read and write (``naive``/``watch``).
        max_retries: aborted transactions ``watch`` retries before giving up.
    """

    __slots__ = ("_driver", "max_retries", "strategy", "think")
    noun: ClassVar[str] = "supply"
    driver_class: ClassVar[type[SyncDriver] | type[AsyncDriver]] = SyncDriver

    def __init__(
        self,
        client: Any,
        strategy: Strategy | str = Strategy.ATOMIC,
        *,
        think: float = 0.0,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        self._driver: Any = self.driver_class(client)
        self.strategy = Strategy.parse(strategy, self.noun)
        self.think = check_think(think)
        self.max_retries = check_count(max_retries, minimum=0, what="max_retries")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.strategy.value}>"
