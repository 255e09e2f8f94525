"""A worker in its own process, for the cross-process and crash tests.

usage: python worker_proc.py URL QUEUE MODE [async]
MODE: "events"  -- handler reports progress 50% and returns {"ok": id}
      "record"  -- handler RPUSHes its job id to the list "executions", then works ~5 ms
      "block"   -- handler RPUSHes to "started" and waits until key "release" exists
"async": an AsyncWorker on an AsyncQueue runs the jobs ("block" mode only).
Prints "ready" once the worker is about to run, "stopped <completed> <signal name or None>" after a
graceful stop, then exits 0. SIGUSR1 dumps every thread's stack to stderr (for a test
whose worker does not stop).
"""

from __future__ import annotations

import asyncio
import faulthandler
import signal
import sys
import time

import redis
import redis.asyncio

from queuesim.queue import Queue, Worker
from queuesim.queue.aio import AsyncQueue, AsyncWorker

SETTINGS = {"concurrency": 4, "lease_ms": 600, "stall_interval_ms": 200, "max_stalls": 50,
            "shutdown_timeout": 5, "poll_interval": 0.2}


def main() -> int:
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    url, name, mode = sys.argv[1:4]
    if sys.argv[4:] == ["async"]:
        return asyncio.run(main_async(url, name))
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5)
    queue = Queue(name, redis=client)

    def handler(job):  # type: ignore[no-untyped-def]
        if mode == "events":
            job.progress(1, 2, {"half": True})
            return {"ok": job.id}
        if mode == "record":
            client.rpush("executions", job.id)
            time.sleep(0.005)  # the job's work
            return None
        client.rpush("started", job.id)
        while not client.exists("release"):
            time.sleep(0.01)  # a long job that polls for its end
        return "released"

    worker = Worker(queue, handler, **SETTINGS)  # type: ignore[arg-type]
    print("ready", flush=True)
    worker.run()
    print("stopped", worker.stats.completed, worker.stop_signal and worker.stop_signal.name, flush=True)
    return 0


async def main_async(url: str, name: str) -> int:
    client = redis.asyncio.Redis.from_url(url, decode_responses=True, socket_timeout=5)
    queue = AsyncQueue(name, redis=client)

    async def handler(job):  # type: ignore[no-untyped-def]
        await client.rpush("started", job.id)
        while not await client.exists("release"):
            await asyncio.sleep(0.01)  # a long job that polls for its end
        return "released"

    worker = AsyncWorker(queue, handler, **SETTINGS)  # type: ignore[arg-type]
    print("ready", flush=True)
    await worker.run()
    print("stopped", worker.stats.completed, worker.stop_signal and worker.stop_signal.name, flush=True)
    await client.aclose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
