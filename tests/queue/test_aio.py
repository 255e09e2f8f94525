"""The asyncio twins run the same conversations and loop as the thread classes."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import fakeredis
import pytest
import redis.asyncio

from queuesim.queue import JobState
from queuesim.queue.aio import AsyncJob, AsyncQueue, AsyncWorker
from queuesim.queue.invariants import check_invariants
from queuesim.queue.keys import QueueKeys


def async_client(backend: str) -> Any:
    if backend == "fake":
        return fakeredis.FakeAsyncRedis(decode_responses=True)
    return redis.asyncio.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def backend_client(backend: str, r: Any) -> str:
    return backend


def test_async_queue_and_worker(backend_client: str, r: Any) -> None:
    async def go() -> None:
        client = async_client(backend_client)
        try:
            q = AsyncQueue("aio", redis=client)
            jobs = await q.create_bulk([{"n": i} for i in range(20)])
            failing = await q.add({"n": -1}, attempts=2)
            assert [j.id for j in jobs[:3]] == ["1", "2", "3"]

            async def handler(job: AsyncJob) -> int:
                await job.progress(1, 2)
                await job.log("n=%s", job.data["n"])
                if job.data["n"] < 0:
                    raise ValueError("negative")
                await asyncio.sleep(0)
                return int(job.data["n"]) * 10

            stats = await AsyncWorker(q, handler, concurrency=5).run(burst=True)
            assert (stats.completed, stats.failed) == (20, 2)
            assert await q.counts() == {"inactive": 0, "active": 0, "complete": 20, "failed": 1, "delayed": 0}
            one = await q.get_job(2)
            assert (one.state, one.result, one.percent) == (JobState.COMPLETE, 10, 50)
            assert await one.logs() == ["n=1"]
            bad = await failing.refresh()
            assert (bad.state, bad.error, bad.attempts) == (JobState.FAILED, "negative", 2)
            assert await q.move(bad.id or "", "inactive") is JobState.INACTIVE
            await AsyncWorker(q, lambda job: "sync ok").run(burst=True)
            assert (await q.get_job(bad.id or "")).result == "sync ok"
        finally:
            await client.aclose()

    run(go())
    if backend_client == "real":  # the fake async client has a server of its own
        assert check_invariants(r, QueueKeys("aio")) == []


def test_async_ttl_cancels_the_task(backend_client: str) -> None:
    async def go() -> None:
        client = async_client(backend_client)
        try:
            await client.flushdb()
            q = AsyncQueue("ttl", redis=client)
            job = await q.add("slow", ttl=50)

            async def handler(job: AsyncJob) -> None:
                await asyncio.sleep(30)

            stats = await asyncio.wait_for(AsyncWorker(q, handler).run(burst=True), 10)
            assert stats.failed == 1
            assert (await job.refresh()).error == "TTL exceeded"
        finally:
            await client.flushdb()
            await client.aclose()

    run(go())


def test_async_idle_worker_wakes_and_stops(backend_client: str) -> None:
    async def go() -> None:
        client = async_client(backend_client)
        try:
            await client.flushdb()
            q = AsyncQueue("idle", redis=client)
            done = asyncio.Event()

            async def handler(job: AsyncJob) -> None:
                done.set()

            w = AsyncWorker(q, handler, poll_interval=5)
            task = asyncio.create_task(w.run())
            await q.add(1)
            await asyncio.wait_for(done.wait(), 4)
            w.stop()
            await asyncio.wait_for(task, 5)
            assert w.stats.completed == 1
        finally:
            await client.flushdb()
            await client.aclose()

    run(go())



def test_async_queue_without_a_client_uses_the_same_store_as_queue(connected: Any) -> None:
    """Like Queue(): REDIS_URL, else the embedded store; a sync Queue sees the async one's jobs."""
    from queuesim.queue import Queue

    async def main() -> tuple[str, JobState | None]:
        queue = AsyncQueue("twins")
        job = await queue.create({"n": 1}).save()
        stats = await AsyncWorker(queue, lambda j: j.data["n"] + 1).run(burst=True)
        assert stats.completed == 1
        await queue.client.aclose()
        return job.id or "", job.state

    job_id, _ = run(main())
    assert Queue("twins").get_job(job_id).state is JobState.COMPLETE


def test_an_async_queue_lists_its_name_like_queue(backend_client: str) -> None:
    from queuesim.queue import Queue

    async def main() -> None:
        queue = AsyncQueue("async-only", redis=async_client(backend_client))
        await queue.add(1)
        await queue.add(2)
        names = await queue.client.smembers(queue.keys.registry)
        assert names == {"async-only"}
        await queue.client.aclose()

    run(main())
    if backend_client == "real":
        sync = Queue("other", redis=redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True))
        assert sync.names() == ["async-only"]
