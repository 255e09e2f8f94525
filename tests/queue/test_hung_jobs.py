"""A handler that outlives its job's TTL does not keep its slot: the job fails "TTL exceeded" and the slot
runs the next job at once (a new thread takes the hung one's place; a task is cancelled; a child process,
with process isolation, is killed)."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import pytest
import redis
import redis.asyncio
from polling import wait_for

from queuesim.queue import AsyncQueue, AsyncWorker, JobState, Queue, Worker
from queuesim.queue.invariants import check_invariants


def test_after_the_ttl_the_slot_runs_the_next_job(queue: Queue) -> None:
    """Concurrency 1: the hung handler still runs, yet the job behind it completes."""
    release = threading.Event()
    hung = queue.add("hang", ttl=100)
    nxt = queue.add("next")
    returned: list[str] = []

    def handler(job: Any) -> str:
        if job.data == "hang":
            release.wait(30)  # stuck: nothing from outside can stop a thread
            returned.append("hung one")
        return str(job.data)

    worker = Worker(queue, handler, concurrency=1, poll_interval=0.05)
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: queue.get_job(nxt.id or "").state is JobState.COMPLETE)
        assert returned == []  # the hung handler had not returned when the next job ran
        got = queue.get_job(hung.id or "")
        assert (got.state, got.error) == (JobState.FAILED, "TTL exceeded")
        release.set()
        wait_for(lambda: returned == ["hung one"])
        assert queue.get_job(hung.id or "").state is JobState.FAILED  # its late result is ignored
    finally:
        release.set()
        worker.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert worker.stats.completed == 1


def test_the_worker_keeps_its_concurrency(queue: Queue) -> None:
    """Two hung jobs at concurrency 2, then four jobs that can only finish two at a time together."""
    release = threading.Event()
    queue.create_bulk(["hang", "hang"], ttl=100)
    together = threading.Barrier(2, timeout=20)
    queue.create_bulk(["pair"] * 4)

    def handler(job: Any) -> None:
        if job.data == "hang":
            release.wait(30)
        else:
            together.wait()  # needs two threads at once: a worker left with one would break the barrier

    worker = Worker(queue, handler, concurrency=2, poll_interval=0.05)
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: queue.counts()["complete"] == 4)
        assert queue.counts()["failed"] == 2
    finally:
        release.set()
        worker.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_an_async_task_past_its_ttl_is_cancelled_and_its_slot_reused(backend: str, r: redis.Redis) -> None:
    import fakeredis

    async def go() -> tuple[str, str | None, str]:
        if backend == "fake":
            client: Any = fakeredis.FakeAsyncRedis(server=r.connection_pool.connection_kwargs["server"],
                                                   decode_responses=True)
        else:
            client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
        cancelled = asyncio.Event()
        q = AsyncQueue("aio-ttl", redis=client)
        hung = await q.add("hang", ttl=100)
        nxt = await q.add("next")

        async def handler(job: Any) -> str:
            if job.data == "hang":
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    cancelled.set()
                    raise
            return str(job.data)

        await AsyncWorker(q, handler, concurrency=1, poll_interval=0.05).run(burst=True)
        assert cancelled.is_set()
        h, n = await hung.refresh(), await nxt.refresh()
        await client.aclose()
        return h.state or "", h.error, n.result

    assert asyncio.run(go()) == (JobState.FAILED, "TTL exceeded", "next")
    assert check_invariants(r, Queue("aio-ttl", redis=r).keys) == []


@pytest.mark.parametrize("shell", ["threads", "asyncio"])
def test_with_process_isolation_the_hung_child_is_killed(shared_store: tuple[str, redis.Redis], shell: str) -> None:
    """RQ's work horse: each job in a child process; past its TTL the child is killed, the slot is free."""
    import cmd_handlers  # a module-level handler: the child imports it by name

    url, client = shared_store
    queue = Queue("horses", redis=redis.Redis.from_url(url, decode_responses=True))
    hung = queue.add({"sleep": 3600}, ttl=3000)  # (time for the child to start and say who it is)
    nxt = queue.add({"sleep": 0})
    if shell == "threads":
        worker: Any = Worker(queue, cmd_handlers.hang_and_tell, concurrency=1, isolation="process", poll_interval=0.05)
        stats = worker.run(burst=True, handle_signals=False)
    else:
        async def go() -> Any:
            aclient = redis.asyncio.Redis.from_url(url, decode_responses=True)
            aqueue = AsyncQueue("horses", redis=aclient)
            w = AsyncWorker(aqueue, cmd_handlers.hang_and_tell, concurrency=1, isolation="process",
                            poll_interval=0.05)
            result = await w.run(burst=True, handle_signals=False)
            await aclient.aclose()
            return result

        stats = asyncio.run(go())
    assert (stats.completed, stats.failed) == (1, 1)
    assert queue.get_job(nxt.id or "").result == "woke"
    got = queue.get_job(hung.id or "")
    assert (got.state, got.error) == (JobState.FAILED, "TTL exceeded")
    pids = [int(p) for p in client.lrange("horse-pids", 0, -1)]
    assert len(pids) == 2
    assert os.getpid() not in pids  # the jobs ran in children
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)  # the hung child is gone (killed), not left sleeping
    queue.close()


def test_process_isolation_refuses_what_a_child_cannot_use(queue: Queue) -> None:
    import fakeredis

    in_process = Queue("x", redis=fakeredis.FakeRedis(decode_responses=True))
    with pytest.raises(ValueError, match="must reach the queue's Redis server"):
        Worker(in_process, print, isolation="process")
    with pytest.raises(ValueError, match="isolation must be 'thread' or 'process'"):
        Worker(queue, print, isolation="fork")


def test_process_isolation_refuses_a_handler_it_cannot_name(shared_store: tuple[str, redis.Redis]) -> None:
    url, _client = shared_store
    queue = Queue("horses", redis=redis.Redis.from_url(url, decode_responses=True))
    with pytest.raises(TypeError, match="importable by name"):
        Worker(queue, lambda job: None, isolation="process")
    queue.close()
