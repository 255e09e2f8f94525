"""Exercise 12's reservation logic: products, remaining stock, and the three strategies."""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from collections.abc import Generator
from typing import Any

import fakeredis
import pytest
import redis

from queuesim.drivers import Batch, RecordingDriver, Step, SyncDriver
from queuesim.errors import ProductNotFound
from queuesim.stock import (
    MAX_STOCK,
    PRODUCTS,
    AsyncStockService,
    Reservation,
    ReservationStatus,
    StockService,
    StockStrategy,
    get_current_reserved_stock_by_id,
    get_item_by_id,
    list_products,
    parse_item_id,
    reserve,
    reserve_stock_by_id,
    reset_stock,
)

STRATEGIES = [s.value for s in StockStrategy]
SAFE = ["atomic", "watch"]


def test_products_are_the_spec_values() -> None:
    assert [(p.item_id, p.name, p.price, p.initial_quantity) for p in list_products()] == [
        (1, "Suitcase 250", 50, 4),
        (2, "Suitcase 450", 100, 10),
        (3, "Suitcase 650", 350, 2),
        (4, "Suitcase 1050", 550, 5),
    ]
    assert list_products() is not list_products()  # callers cannot mutate the catalogue
    assert repr(PRODUCTS[0]) == "<Product 1 'Suitcase 250' stock 4>"


@pytest.mark.parametrize(
    ("given", "expected"),
    [(1, 1), ("1", 1), ("4", 4), ("01", 1), (0, 0), ("0", 0), (10**30, 10**30)],
)
def test_ids_that_are_numbers(given: Any, expected: int) -> None:
    assert parse_item_id(given) == expected


@pytest.mark.parametrize(
    "given",
    ["1abc", "abc", "", " 1", "1 ", "+1", "-1", "1.0", "1e3", "١", "¹", "9" * 19, "9" * 5000, -1, -(10**30)],
)
def test_ids_that_are_not_products(given: Any) -> None:
    assert parse_item_id(given) is None or get_item_by_id(given) is None
    assert get_item_by_id(given) is None


@pytest.mark.parametrize("given", [True, 1.0, None, b"1", [1]])
def test_ids_of_the_wrong_type_are_a_type_error(given: Any) -> None:
    with pytest.raises(TypeError, match="product id must be an int or a str"):
        get_item_by_id(given)


def test_get_item_by_id() -> None:
    product = get_item_by_id("3")
    assert product is not None
    assert (product.name, product.initial_quantity) == ("Suitcase 650", 2)
    assert get_item_by_id(5) is None
    assert get_item_by_id(0) is None


def test_a_missing_key_is_the_initial_stock_and_reading_writes_nothing(r: redis.Redis) -> None:
    assert [get_current_reserved_stock_by_id(r, p.item_id) for p in PRODUCTS] == [4, 10, 2, 5]
    assert r.keys("item.*") == []
    assert get_current_reserved_stock_by_id(r, "1abc") is None


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_reserve_until_sold_out_then_zero_reads_as_zero(r: redis.Redis, strategy: str) -> None:
    stock = StockService(r, strategy)
    results = [stock.reserve(3) for _ in range(3)]
    assert [x.status for x in results] == [
        ReservationStatus.CONFIRMED,
        ReservationStatus.CONFIRMED,
        ReservationStatus.NOT_ENOUGH_STOCK,
    ]
    assert [x.remaining for x in results] == [1, 0, 0]
    assert [x.confirmed for x in results] == [True, True, False]
    # the original's falsy-zero bug showed the initial stock (2) here
    assert stock.current_quantity(3) == 0
    assert r.get("item.3") == "0"
    assert stock.current_quantity(1) == 4  # other products untouched


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_unknown_products_are_not_found_and_write_nothing(r: redis.Redis, strategy: str) -> None:
    stock = StockService(r, strategy)
    for item_id in ["1abc", "-1", -1, "9" * 5000, 10**30, 5, "x"]:
        assert stock.reserve(item_id) == Reservation(ReservationStatus.NOT_FOUND, None)
        assert stock.current_quantity(item_id) is None
    assert r.keys("*") == []


def test_reset_restores_the_initial_stock_or_sets_a_quantity(r: redis.Redis) -> None:
    stock = StockService(r)
    for _ in range(2):
        stock.reserve(1)
        stock.reserve(2)
    stock.reset()
    assert r.keys("item.*") == []
    assert [stock.current_quantity(p.item_id) for p in PRODUCTS] == [4, 10, 2, 5]
    stock.reset(1000, item_id=2)
    assert [stock.current_quantity(p.item_id) for p in PRODUCTS] == [4, 1000, 2, 5]
    reset_stock(r, 0)
    assert [stock.current_quantity(p.item_id) for p in PRODUCTS] == [0, 0, 0, 0]
    reset_stock(r, item_id="4")
    assert stock.current_quantity(4) == 5


@pytest.mark.parametrize(
    ("quantity", "error"), [(-1, ValueError), (MAX_STOCK + 1, ValueError), ("5", TypeError)]
)
def test_reset_rejects_bad_quantities_and_changes_nothing(r: redis.Redis, quantity: Any, error: type) -> None:
    r.set("item.1", 3)
    with pytest.raises(error, match="quantity"):
        reset_stock(r, quantity)
    with pytest.raises(ProductNotFound, match="'9'"):
        reset_stock(r, item_id="9")
    assert r.get("item.1") == "3"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_corrupt_count_is_a_clear_error_and_stays_untouched(r: redis.Redis, strategy: str) -> None:
    r.set("item.1", "lots")
    with pytest.raises(ValueError, match=r"item\.1 holds 'lots', not a stock count"):
        StockService(r, strategy).reserve(1)
    with pytest.raises(ValueError, match="not a stock count"):
        StockService(r, strategy).current_quantity(1)
    assert r.get("item.1") == "lots"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_negative_counts_left_by_someone_else_sell_nothing(r: redis.Redis, strategy: str) -> None:
    r.set("item.1", -2)
    assert StockService(r, strategy).reserve(1).status is ReservationStatus.NOT_ENOUGH_STOCK
    assert r.get("item.1") == "-2"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_quantity_above_the_stock_takes_nothing(r: redis.Redis, strategy: str) -> None:
    stock = StockService(r, strategy)
    assert stock.reserve(2, quantity=11).status is ReservationStatus.NOT_ENOUGH_STOCK
    assert stock.reserve(2, quantity=10).remaining == 0
    assert stock.current_quantity(2) == 0


def test_bad_arguments_fail_early() -> None:
    with pytest.raises(ValueError, match="unknown stock strategy 'lua'; choose one of naive, watch, atomic"):
        StockService(fakeredis.FakeRedis(), "lua")
    with pytest.raises(ValueError, match="quantity must be between 1"):
        reserve(PRODUCTS[0], quantity=0)
    with pytest.raises(TypeError, match="quantity must be an int"):
        reserve(PRODUCTS[0], quantity=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Pause seconds"):
        StockService(fakeredis.FakeRedis(), "naive", think=-1)
    with pytest.raises(ValueError, match="max_retries"):
        StockService(fakeredis.FakeRedis(), "watch", max_retries=-1)


@pytest.mark.parametrize(
    ("strategy", "think", "commands"),
    [
        ("atomic", 0.0, ["EVALSHA reserve_stock"]),
        ("atomic", 0.01, ["EVALSHA reserve_stock"]),  # no window to widen
        ("naive", 0.0, ["GET", "SET"]),
        ("naive", 0.001, ["GET", "PAUSE", "SET"]),
        ("watch", 0.0, ["WATCH", "GET", "MULTI"]),
        ("watch", 0.001, ["WATCH", "GET", "PAUSE", "MULTI"]),
    ],
)
def test_each_strategy_sends_what_it_says(
    r: redis.Redis, strategy: str, think: float, commands: list[str]
) -> None:
    driver = RecordingDriver(r)
    result = driver.run(reserve(PRODUCTS[0], strategy, think=think))
    assert result.confirmed
    assert driver.commands() == commands


def test_watch_sold_out_unwatches(r: redis.Redis) -> None:
    r.set("item.1", 0)
    driver = RecordingDriver(r)
    assert driver.run(reserve(PRODUCTS[0], "watch")).status is ReservationStatus.NOT_ENOUGH_STOCK
    assert driver.commands() == ["WATCH", "GET", "UNWATCH"]


class MeddlingDriver(SyncDriver):
    """Before each of the first ``times`` transactions, another client takes one unit (a conflict)."""

    def __init__(self, client: redis.Redis, other: redis.Redis, times: int) -> None:
        super().__init__(client)
        self.other = other
        self.times = times

    def execute(self, step: Step, pin: Any = None) -> Any:
        if isinstance(step, Batch) and self.times > 0:
            self.times -= 1
            self.other.decr("item.1")
        return super().execute(step, pin)


def test_watch_retries_after_a_conflict(r: redis.Redis, redis_factory: Any) -> None:
    r.set("item.1", 4)
    result = MeddlingDriver(r, redis_factory(), times=2).run(reserve(PRODUCTS[0], "watch"))
    assert result == Reservation(ReservationStatus.CONFIRMED, 1, remaining=1, retries=2)
    assert r.get("item.1") == "1"  # 4, minus the meddler's 2, minus ours: nothing lost


def test_watch_gives_up_after_max_retries_and_takes_nothing(r: redis.Redis, redis_factory: Any) -> None:
    r.set("item.1", 4)
    result = MeddlingDriver(r, redis_factory(), times=3).run(reserve(PRODUCTS[0], "watch", max_retries=2))
    assert result == Reservation(ReservationStatus.CONTENDED, 1, remaining=None, retries=2)
    assert r.get("item.1") == "1"  # only the meddler's three


def test_watch_sees_the_stock_run_out_during_its_retries(r: redis.Redis, redis_factory: Any) -> None:
    r.set("item.1", 1)
    result = MeddlingDriver(r, redis_factory(), times=1).run(reserve(PRODUCTS[0], "watch"))
    assert result == Reservation(ReservationStatus.NOT_ENOUGH_STOCK, 1, remaining=0, retries=1)


def interleave(
    driver: SyncDriver, first: Generator[Any, Any, Any], second: Generator[Any, Any, Any]
) -> list[Any]:
    """Run two conversations step by step, alternating, as two clients racing would."""
    pending = [(first, next(first)), (second, next(second))]
    results: list[Any] = [None, None]
    while any(conv is not None for conv, _ in pending):
        for i, (conv, step) in enumerate(pending):
            if conv is None:
                continue
            try:
                pending[i] = (conv, conv.send(driver.execute(step)))
            except StopIteration as stop:
                results[i] = stop.value
                pending[i] = (None, None)  # type: ignore[assignment]
    return results


def test_naive_loses_an_update_when_two_clients_interleave(r: redis.Redis) -> None:
    r.set("item.3", 1)  # one suitcase left
    a, b = interleave(SyncDriver(r), reserve(PRODUCTS[2], "naive"), reserve(PRODUCTS[2], "naive"))
    # both were told yes: one suitcase sold twice
    assert a.confirmed
    assert b.confirmed
    assert r.get("item.3") == "0"


def test_atomic_sells_the_last_unit_once_when_two_clients_interleave(r: redis.Redis) -> None:
    r.set("item.3", 1)
    a, b = interleave(SyncDriver(r), reserve(PRODUCTS[2]), reserve(PRODUCTS[2]))
    assert [a.status, b.status] == [ReservationStatus.CONFIRMED, ReservationStatus.NOT_ENOUGH_STOCK]


def test_reserve_stock_by_id_defaults_to_atomic(r: redis.Redis) -> None:
    assert reserve_stock_by_id(r, "2").remaining == 9
    assert reserve_stock_by_id(r, 2, "naive").remaining == 8
    assert reserve_stock_by_id(r, "2abc").status is ReservationStatus.NOT_FOUND
    assert repr(reserve_stock_by_id(r, 2)) == "<Reservation confirmed item=2 remaining=7>"
    assert repr(StockService(r, "watch")) == "<StockService watch>"


def _async_client(backend: str, r: redis.Redis) -> Any:
    if backend == "fake":
        return fakeredis.FakeAsyncRedis(
            server=r.connection_pool.connection_kwargs["server"], decode_responses=True
        )
    import redis.asyncio

    return redis.asyncio.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_async_service_matches_the_sync_one(backend: str, r: redis.Redis, strategy: str) -> None:
    async def go() -> list[Any]:
        client = _async_client(backend, r)
        try:
            stock = AsyncStockService(client, strategy)
            out: list[Any] = [await stock.reserve(3) for _ in range(3)]
            out.append(await stock.current_quantity(3))
            out.append((await stock.reserve("3x")).status)
            await stock.reset(7, item_id=3)
            out.append(await stock.current_quantity(3))
            await stock.reset()
            out.append(await stock.current_quantity(3))
            return out
        finally:
            await client.aclose()

    out = asyncio.run(go())
    assert [x.status for x in out[:3]] == [
        ReservationStatus.CONFIRMED,
        ReservationStatus.CONFIRMED,
        ReservationStatus.NOT_ENOUGH_STOCK,
    ]
    assert out[3:] == [0, ReservationStatus.NOT_FOUND, 7, 2]


def _race(redis_factory: Any, strategy: str, threads: int, think: float) -> Counter[ReservationStatus]:
    """``threads`` clients reserve item 1 at the same moment, each with its own connection pool."""
    clients = [redis_factory() for _ in range(threads)]
    start = threading.Barrier(threads)
    outcomes: list[ReservationStatus] = []
    lock = threading.Lock()

    def buyer(client: redis.Redis) -> None:
        service = StockService(client, strategy, think=think)
        start.wait()
        status = service.reserve(1).status
        with lock:
            outcomes.append(status)

    workers = [threading.Thread(target=buyer, args=(c,)) for c in clients]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return Counter(outcomes)


@pytest.mark.parametrize("strategy", SAFE)
def test_safe_strategies_sell_exactly_the_stock_under_threads(
    r: redis.Redis, redis_factory: Any, strategy: str
) -> None:
    outcomes = _race(redis_factory, strategy, threads=24, think=0.002)
    assert outcomes == {ReservationStatus.CONFIRMED: 4, ReservationStatus.NOT_ENOUGH_STOCK: 20}
    assert r.get("item.1") == "0"


def test_naive_never_sells_less_than_the_stock_nor_goes_negative(r: redis.Redis, redis_factory: Any) -> None:
    outcomes = _race(redis_factory, "naive", threads=24, think=0.002)
    assert outcomes[ReservationStatus.CONFIRMED] >= 4  # usually far more: the oversell
    assert int(r.get("item.1") or 0) >= 0
