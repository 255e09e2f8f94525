"""Conversations run the same on the sync, asyncio and recording drivers."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import fakeredis
import pytest
import redis

from queuesim.drivers import AsyncDriver, Batch, RecordingDriver, SyncDriver
from queuesim.scripts import Script

INCR_IF_BELOW = Script.from_source(
    "incr_if_below",
    "local v = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "if v < tonumber(ARGV[1]) then return redis.call('INCR', KEYS[1]) end\n"
    "return -1\n",
)


def counter(key: str, limit: int) -> Generator[Any, Any, list[int]]:
    out = []
    for _ in range(limit + 1):
        out.append(int((yield INCR_IF_BELOW([key], [limit]))))
    replies = yield Batch.of([("GET", key), ("EXISTS", key)], atomic=True)
    out.append(int(replies[0]))
    return out


def test_sync_driver_runs_scripts_and_batches(r: redis.Redis) -> None:
    assert SyncDriver(r).run(counter("c", 3)) == [1, 2, 3, -1, 3]


def test_script_reloaded_after_flush(r: redis.Redis) -> None:
    driver = SyncDriver(r)
    driver.run(counter("c", 1))
    r.script_flush()
    assert driver.run(counter("d", 1)) == [1, -1, 1]


def test_async_driver_same_result(backend: str, r: redis.Redis) -> None:
    async def go() -> list[int]:
        if backend == "fake":
            client: Any = fakeredis.FakeAsyncRedis(decode_responses=True)
        else:
            import os

            import redis.asyncio

            client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
        try:
            await client.delete("c")
            return await AsyncDriver(client).run(counter("c", 2))
        finally:
            await client.delete("c")
            await client.aclose()

    assert asyncio.run(go()) == [1, 2, -1, 2]


def test_recording_driver_records_exact_steps(r: redis.Redis) -> None:
    driver = RecordingDriver(r)
    driver.run(counter("c", 1))
    assert driver.commands() == ["EVALSHA incr_if_below", "EVALSHA incr_if_below", "MULTI"]


def test_errors_are_thrown_into_the_conversation(r: redis.Redis) -> None:
    def conv() -> Generator[Any, Any, str]:
        r.set("s", "text")
        try:
            yield ("INCR", "s")
        except redis.ResponseError as exc:
            return f"caught: {exc}"
        return "no error"

    assert SyncDriver(r).run(conv()).startswith("caught:")


def test_unhandled_error_propagates(r: redis.Redis) -> None:
    def conv() -> Generator[Any, Any, None]:
        yield ("SET", "s", "text")
        yield ("INCR", "s")

    with pytest.raises(redis.ResponseError):
        SyncDriver(r).run(conv())
