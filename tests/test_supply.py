"""queuesim.supply: the strategies shared by the stock and seat services, on a supply of their own."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from queuesim.drivers import RecordingDriver
from queuesim.scripts import load_script
from queuesim.supply import MAX_COUNT, Strategy, Supply, Take, TakeStatus, check_count, parse_count, read, take

# reserve_seat.lua follows the Supply contract: KEYS = count key + flag key, ARGV = initial, quantity
TICKETS = Supply(
    "tickets",
    5,
    "ticket count",
    load_script("reserve_seat"),
    script_keys=("sold_out",),
    when_empty=(("SET", "sold_out", "0"),),
)
STRATEGIES = [s.value for s in Strategy]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_taking_more_than_one_unit(r: redis.Redis, strategy: str) -> None:
    driver = RecordingDriver(r)
    assert driver.run(take(TICKETS, strategy, quantity=3)) == Take(TakeStatus.TAKEN, 2)
    # 2 left: asking for 3 takes nothing, and the supply is not empty, so nothing else is written
    assert driver.run(take(TICKETS, strategy, quantity=3)) == Take(TakeStatus.SHORT, 2)
    assert r.get("sold_out") is None
    assert driver.run(take(TICKETS, strategy, quantity=2)) == Take(TakeStatus.TAKEN, 0)
    assert (r.get("tickets"), r.get("sold_out")) == ("0", "0")
    assert driver.run(read(TICKETS)) == 0


def test_a_supply_without_extras_writes_only_its_count(r: redis.Redis) -> None:
    plain = Supply("plain", 1, "count", load_script("reserve_stock"))
    for strategy in STRATEGIES:
        r.delete("plain")
        assert RecordingDriver(r).run(take(plain, strategy)) == Take(TakeStatus.TAKEN, 0)
        assert r.keys("*") == ["plain"]


def test_parse_count() -> None:
    assert parse_count(None, "k", "count", 7) == 7
    assert parse_count("0", "k", "count", 7) == 0  # 0 is 0, not "missing" (the falsy-zero bug)
    assert parse_count(b"-12", "k", "count", 7) == -12
    for bad in ["1.5", "", " 1", "1e3", "9" * 16, "١"]:
        with pytest.raises(ValueError, match=r"k holds .*, not a count"):
            parse_count(bad, "k", "count", 7)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1, ValueError, "n must be between 0 and"),
        (MAX_COUNT + 1, ValueError, "n must be between 0 and"),
        (True, TypeError, "n must be an int, not bool"),
        (1.0, TypeError, "n must be an int, not float"),
    ],
)
def test_check_count(value: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        check_count(value, minimum=0, what="n")


def test_strategies_and_their_errors() -> None:
    assert [s.value for s in Strategy] == ["naive", "watch", "atomic"]
    assert Strategy.parse("watch") is Strategy.WATCH
    with pytest.raises(ValueError, match="unknown reservation strategy 'x'; choose one of naive, watch, atomic"):
        Strategy.parse("x")
    with pytest.raises(ValueError, match="unknown ticket strategy 'x'"):
        Strategy.parse("x", "ticket")
    with pytest.raises(ValueError, match="quantity must be between 1"):
        take(TICKETS, quantity=0)  # checked when the conversation is made, not when it runs
