"""Exercise 13's seat logic: the count, the reservations switch, and the three strategies."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Generator
from typing import Any

import fakeredis
import pytest
import redis

from queuesim.drivers import AsyncDriver, Batch, RecordingDriver, Step, SyncDriver, _Pin
from queuesim.seats import (
    INITIAL_SEATS,
    SEATS_KEY,
    SWITCH_KEY,
    SeatReservation,
    SeatService,
    SeatStatus,
    current_seats,
    get_current_available_seats,
    initialize,
    reservation_enabled,
    reserve,
    reserve_seat,
    reset,
    reset_seats,
    set_reservation_enabled,
)
from queuesim.supply import MAX_COUNT, Strategy

STRATEGIES = [s.value for s in Strategy]
SAFE = ["atomic", "watch"]


def test_a_fresh_store_has_50_seats_and_reservations_on(r: redis.Redis) -> None:
    seats = SeatService(r)
    assert seats.available_seats() == INITIAL_SEATS == 50
    assert seats.reservation_enabled() is True
    assert r.keys("*") == []  # reading wrote nothing
    assert get_current_available_seats(r) == 50


def test_initialize_writes_50_once_and_keeps_an_existing_count(r: redis.Redis) -> None:
    seats = SeatService(r)
    assert seats.initialize() is True
    assert r.get(SEATS_KEY) == "50"
    r.set(SEATS_KEY, 7)
    r.set(SWITCH_KEY, "0")
    assert seats.initialize() is False  # a restart changes nothing
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("7", "0")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_reserve_until_none_left_then_reservations_are_off(r: redis.Redis, strategy: str) -> None:
    seats = SeatService(r, strategy)
    seats.reset(2)
    results = [seats.reserve() for _ in range(3)]
    assert [x.status for x in results] == [SeatStatus.RESERVED, SeatStatus.RESERVED, SeatStatus.NO_SEATS]
    assert [x.remaining for x in results] == [1, 0, 0]
    assert [x.reserved for x in results] == [True, True, False]
    assert seats.available_seats() == 0
    assert seats.reservation_enabled() is False  # the last seat switched reservations off
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("0", "0")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_switch_stays_on_while_seats_remain(r: redis.Redis, strategy: str) -> None:
    seats = SeatService(r, strategy)
    assert seats.reserve().remaining == 49  # a missing count is 50
    assert r.get(SEATS_KEY) == "49"
    assert r.get(SWITCH_KEY) is None
    assert seats.reservation_enabled() is True


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_finding_no_seat_switches_reservations_off(r: redis.Redis, strategy: str) -> None:
    r.set(SEATS_KEY, 0)  # set by hand, switch still on
    assert SeatService(r, strategy).reserve() == SeatReservation(SeatStatus.NO_SEATS, 0)
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("0", "0")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_negative_count_reserves_nothing(r: redis.Redis, strategy: str) -> None:
    r.set(SEATS_KEY, -3)
    assert SeatService(r, strategy).reserve().status is SeatStatus.NO_SEATS
    assert r.get(SEATS_KEY) == "-3"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_corrupt_count_is_a_clear_error_and_stays_untouched(r: redis.Redis, strategy: str) -> None:
    r.set(SEATS_KEY, "plenty")
    with pytest.raises(ValueError, match="available_seats holds 'plenty', not a seat count"):
        SeatService(r, strategy).reserve()
    with pytest.raises(ValueError, match="not a seat count"):
        SeatService(r).available_seats()
    assert r.get(SEATS_KEY) == "plenty"
    assert r.get(SWITCH_KEY) is None


def test_the_switch(r: redis.Redis) -> None:
    seats = SeatService(r)
    seats.set_reservation_enabled(False)
    assert (r.get(SWITCH_KEY), seats.reservation_enabled()) == ("0", False)
    seats.set_reservation_enabled(True)
    assert (r.get(SWITCH_KEY), seats.reservation_enabled()) == ("1", True)
    r.set(SWITCH_KEY, "yes")
    with pytest.raises(ValueError, match="reservation_enabled holds 'yes', not '0' or '1'"):
        seats.reservation_enabled()
    with pytest.raises(TypeError, match="enabled must be a bool"):
        set_reservation_enabled(1)  # type: ignore[arg-type]


def test_the_switch_is_shared_by_every_client(redis_factory: Any) -> None:
    one, other = SeatService(redis_factory()), SeatService(redis_factory())
    one.set_reservation_enabled(False)
    assert other.reservation_enabled() is False


def test_reset(r: redis.Redis) -> None:
    seats = SeatService(r)
    seats.reset(1)
    seats.reserve()
    assert seats.reservation_enabled() is False
    reset_seats(r)
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("50", "1")
    seats.reset(0)
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("0", "0")
    seats.reset(MAX_COUNT)
    assert seats.available_seats() == MAX_COUNT


@pytest.mark.parametrize(("seats", "error"), [(-1, ValueError), (MAX_COUNT + 1, ValueError), ("5", TypeError)])
def test_bad_seat_counts_are_refused_and_change_nothing(r: redis.Redis, seats: Any, error: type) -> None:
    r.set(SEATS_KEY, 3)
    with pytest.raises(error, match="seats"):
        reset_seats(r, seats)
    with pytest.raises(error, match="seats"):
        initialize(seats)
    assert r.get(SEATS_KEY) == "3"


def test_bad_arguments_fail_early() -> None:
    with pytest.raises(ValueError, match="unknown seat strategy 'lua'; choose one of naive, watch, atomic"):
        SeatService(fakeredis.FakeRedis(), "lua")
    with pytest.raises(ValueError, match="unknown seat strategy"):
        reserve("lua")
    with pytest.raises(ValueError, match="Pause seconds"):
        SeatService(fakeredis.FakeRedis(), "naive", think=-1)
    with pytest.raises(ValueError, match="max_retries"):
        reserve("watch", max_retries=-1)


@pytest.mark.parametrize(
    ("strategy", "think", "commands"),
    [
        ("atomic", 0.0, ["EVALSHA reserve_seat"]),
        ("atomic", 0.01, ["EVALSHA reserve_seat"]),  # no window to widen
        ("naive", 0.0, ["GET", "SET"]),
        ("naive", 0.001, ["GET", "PAUSE", "SET"]),
        ("watch", 0.0, ["WATCH", "GET", "MULTI"]),
        ("watch", 0.001, ["WATCH", "GET", "PAUSE", "MULTI"]),
    ],
)
def test_each_strategy_sends_what_it_says(r: redis.Redis, strategy: str, think: float, commands: list[str]) -> None:
    driver = RecordingDriver(r)
    assert driver.run(reserve(strategy, think=think)).reserved
    assert driver.commands() == commands


@pytest.mark.parametrize(
    ("strategy", "commands"),
    [
        ("naive", ["GET", "SET", "SET"]),  # the switch in a second write: racy, as the original
        ("watch", ["WATCH", "GET", "MULTI"]),  # seats and switch in one transaction
        ("atomic", ["EVALSHA reserve_seat"]),  # seats and switch in one script
    ],
)
def test_the_last_seat_switches_reservations_off(r: redis.Redis, strategy: str, commands: list[str]) -> None:
    r.set(SEATS_KEY, 1)
    driver = RecordingDriver(r)
    assert driver.run(reserve(strategy)) == SeatReservation(SeatStatus.RESERVED, 0)
    assert driver.commands() == commands
    watched = [s for s in driver.steps if isinstance(s, Batch)]
    if strategy == "watch":
        assert watched[0].steps == (("SET", SEATS_KEY, 0), ("SET", SWITCH_KEY, "0"))
    assert r.get(SWITCH_KEY) == "0"


def test_watch_with_no_seat_unwatches_then_switches_off(r: redis.Redis) -> None:
    r.set(SEATS_KEY, 0)
    driver = RecordingDriver(r)
    assert driver.run(reserve("watch")).status is SeatStatus.NO_SEATS
    assert driver.commands() == ["WATCH", "GET", "UNWATCH", "SET"]


class MeddlingDriver(SyncDriver):
    """Before each of the first ``times`` transactions, another client takes a seat (a conflict)."""

    def __init__(self, client: redis.Redis, other: redis.Redis, times: int) -> None:
        super().__init__(client)
        self.other = other
        self.times = times

    def execute(self, step: Step, pin: Any = None) -> Any:
        if isinstance(step, Batch) and self.times > 0:
            self.times -= 1
            self.other.decr(SEATS_KEY)
        return super().execute(step, pin)


def test_watch_retries_after_a_conflict(r: redis.Redis, redis_factory: Any) -> None:
    r.set(SEATS_KEY, 4)
    result = MeddlingDriver(r, redis_factory(), times=2).run(reserve("watch"))
    assert result == SeatReservation(SeatStatus.RESERVED, 1, retries=2)
    assert r.get(SEATS_KEY) == "1"


def test_watch_gives_up_after_max_retries_and_takes_nothing(r: redis.Redis, redis_factory: Any) -> None:
    r.set(SEATS_KEY, 4)
    result = MeddlingDriver(r, redis_factory(), times=3).run(reserve("watch", max_retries=2))
    assert result == SeatReservation(SeatStatus.CONTENDED, None, retries=2)
    assert repr(result) == "<SeatReservation contended retries=2>"
    assert r.get(SEATS_KEY) == "1"  # only the meddler's three


def interleave(
    driver: SyncDriver, first: Generator[Any, Any, Any], second: Generator[Any, Any, Any]
) -> list[Any]:
    """Run two conversations step by step, alternating, as two racing clients would.

    Each holds its own connection from WATCH to EXEC, as :meth:`SyncDriver.run` does.
    """
    pins = [_Pin(), _Pin()]
    pending: list[Any] = [(first, next(first)), (second, next(second))]
    results: list[Any] = [None, None]
    while any(conv is not None for conv, _ in pending):
        for i, (conv, step) in enumerate(pending):
            if conv is None:
                continue
            try:
                try:
                    reply = driver.execute(step, pins[i])
                except redis.WatchError as exc:
                    pending[i] = (conv, conv.throw(exc))
                else:
                    pending[i] = (conv, conv.send(reply))
            except StopIteration as stop:
                results[i] = stop.value
                pending[i] = (None, None)
                pins[i].release()
    return results


def test_naive_sells_the_last_seat_twice_when_two_clients_interleave(r: redis.Redis) -> None:
    r.set(SEATS_KEY, 1)
    a, b = interleave(SyncDriver(r), reserve("naive"), reserve("naive"))
    assert a.reserved
    assert b.reserved  # two reservations, one seat
    assert r.get(SEATS_KEY) == "0"


@pytest.mark.parametrize("strategy", SAFE)
def test_safe_strategies_sell_the_last_seat_once_when_two_clients_interleave(r: redis.Redis, strategy: str) -> None:
    r.set(SEATS_KEY, 1)
    a, b = interleave(SyncDriver(r), reserve(strategy), reserve(strategy))
    assert [a.status, b.status] == [SeatStatus.RESERVED, SeatStatus.NO_SEATS]
    if strategy == "watch":
        assert b.retries == 1  # its EXEC was refused: it read again and found no seat
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("0", "0")


def test_the_original_names_and_reprs(r: redis.Redis) -> None:
    assert reserve_seat(r) == SeatReservation(SeatStatus.RESERVED, 49)
    assert reserve_seat(r, "naive").remaining == 48
    assert repr(reserve_seat(r, "watch")) == "<SeatReservation reserved remaining=47>"
    assert get_current_available_seats(r) == 47
    assert repr(SeatService(r, "watch")) == "<SeatService watch>"


def test_the_conversations_run_on_an_asyncio_client(backend: str, r: redis.Redis) -> None:
    async def go() -> list[Any]:
        if backend == "fake":
            client: Any = fakeredis.FakeAsyncRedis(
                server=r.connection_pool.connection_kwargs["server"], decode_responses=True
            )
        else:
            import redis.asyncio

            client = redis.asyncio.Redis(connection_pool=None, **_kwargs(r))
        driver = AsyncDriver(client)
        try:
            await driver.run(reset(2))
            out: list[Any] = [await driver.run(reserve(s)) for s in STRATEGIES]
            out += [await driver.run(current_seats()), await driver.run(reservation_enabled())]
            return out
        finally:
            await client.aclose()

    out = asyncio.run(go())
    assert [x.status for x in out[:3]] == [SeatStatus.RESERVED, SeatStatus.RESERVED, SeatStatus.NO_SEATS]
    assert out[3:] == [0, False]


def _kwargs(r: redis.Redis) -> dict[str, Any]:
    kwargs = r.connection_pool.connection_kwargs
    return {k: kwargs[k] for k in ("host", "port", "db", "decode_responses") if k in kwargs}


def _race(redis_factory: Any, strategy: str, threads: int, think: float) -> Counter[SeatStatus]:
    """``threads`` clients reserve a seat at the same moment, each with its own connection pool."""
    clients = [redis_factory() for _ in range(threads)]
    start = threading.Barrier(threads)
    outcomes: list[SeatStatus] = []
    lock = threading.Lock()

    def buyer(client: redis.Redis) -> None:
        service = SeatService(client, strategy, think=think)
        start.wait()
        status = service.reserve().status
        with lock:
            outcomes.append(status)

    workers = [threading.Thread(target=buyer, args=(c,)) for c in clients]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return Counter(outcomes)


@pytest.mark.parametrize("strategy", SAFE)
def test_safe_strategies_reserve_exactly_the_seats_under_threads(
    r: redis.Redis, redis_factory: Any, strategy: str
) -> None:
    reset_seats(r, 5)
    outcomes = _race(redis_factory, strategy, threads=24, think=0.002)
    assert outcomes == {SeatStatus.RESERVED: 5, SeatStatus.NO_SEATS: 19}
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("0", "0")


def test_naive_never_reserves_fewer_than_the_seats_nor_goes_negative(r: redis.Redis, redis_factory: Any) -> None:
    reset_seats(r, 5)
    outcomes = _race(redis_factory, "naive", threads=24, think=0.002)
    assert outcomes[SeatStatus.RESERVED] >= 5  # usually far more: the oversell
    assert int(r.get(SEATS_KEY) or 0) >= 0
