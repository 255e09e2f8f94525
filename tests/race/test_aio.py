"""``async def`` targets: redis.asyncio code on the same bridge, without an event loop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis

from queuesim.race import AsyncRaceClient, Load, RaceError, asleep, find_race, run
from queuesim.race.aio import run_coroutine

KEY = "stock"


async def setup(r: Any) -> None:
    await r.set(KEY, 4)


async def check(r: Any, results: list[Any]) -> bool | str:
    left = int(await r.get(KEY))
    taken = sum(1 for result in results if result is True)
    return (taken + left == 4 and left >= 0) or f"{taken} taken + {left} left"


async def naive(r: Any, i: int) -> bool:
    left = int(await r.get(KEY))
    if left < 1:
        return False
    await asleep(0.0005)
    await r.set(KEY, left - 1)
    return True


async def watch(r: Any, i: int) -> bool:
    async with r.pipeline() as pipe:
        while True:
            try:
                await pipe.watch(KEY)
                left = int(await pipe.get(KEY))
                if left < 1:
                    return False
                pipe.multi()
                pipe.set(KEY, left - 1)
                await pipe.execute()
                return True
            except redis.WatchError:
                continue


async def lua(r: Any, i: int) -> bool:
    script = r.register_script("local n = tonumber(redis.call('GET', KEYS[1])) "
                               "if n < 1 then return 0 end redis.call('DECR', KEYS[1]) return 1")
    return bool(await script(keys=[KEY]) == 1)


async def transaction(r: Any, i: int) -> bool:
    async def take(pipe: Any) -> bool:
        left = int(await pipe.get(KEY))
        if left < 1:
            return False
        pipe.multi()
        pipe.set(KEY, left - 1)
        return True

    return bool(await r.transaction(take, KEY, value_from_callable=True))


@pytest.mark.parametrize("backend", ["fast", "fakeredis"])
def test_async_naive_is_found_racy(backend: str) -> None:
    finding = find_race(Load(naive, clients=6, setup=setup, invariant=check, backend=backend), seed=1)
    assert finding.violation
    assert finding.counterexample is not None
    assert finding.counterexample.clients == 2


@pytest.mark.parametrize("target", [watch, lua, transaction])
def test_async_watch_lua_and_transaction_hold(target: Any) -> None:
    finding = find_race(Load(target, clients=6, setup=setup, invariant=check), schedules=120, seed=1)
    assert not finding.violation, finding.format()


def test_async_commands_are_round_trips_in_the_trace() -> None:
    result = run(Load(watch, clients=1, setup=setup, invariant=check))
    assert [e.command for e in result.trace] == ["WATCH stock", "GET stock", "MULTI; SET stock 3; EXEC"]
    assert result.results == [True]


def test_awaiting_something_that_needs_an_event_loop_stops_the_run() -> None:
    async def bounded(r: Any, i: int) -> None:
        async with asyncio.timeout(1):  # (asyncio.sleep is virtual think time, no longer an example)
            await r.get("a")

    with pytest.raises(RaceError, match=r"client 0 \(schedule seed 1\): awaits something that needs an asyncio "
                                        r"event loop"):
        run(Load(bounded, clients=1), scheduler="random")


def test_run_coroutine_without_a_loop() -> None:
    async def plain() -> int:
        return 7

    assert run_coroutine(plain()) == 7

    async def yields() -> None:
        await asyncio.sleep(0)  # a bare yield: needs a loop

    with pytest.raises(RaceError, match="needs an asyncio event loop"):
        run_coroutine(yields())


def test_the_async_client_wraps_a_plain_connection() -> None:
    import fakeredis

    client = AsyncRaceClient(fakeredis.FakeRedis(decode_responses=True))
    assert run_coroutine(client.set("a", 1)) is True
    assert run_coroutine(client.get("a")) == "1"
    assert "AsyncRaceClient" in repr(client)
