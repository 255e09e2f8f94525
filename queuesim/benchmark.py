"""Queue benchmarks: enqueue, bulk enqueue, processing throughput, idle latency, round trips per job.

``queuesim bench queue --redis URL`` runs them against a server of your
choice and prints a table (or, with ``--json``, one JSON object per line).
The figures measure this machine and this server: compare systems within one
run, and rerun before trusting differences under ~20%.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import redis
import redis.asyncio

from queuesim.queue.aio import AsyncJob, AsyncQueue, AsyncWorker
from queuesim.queue.job import Job
from queuesim.queue.queue import Queue
from queuesim.queue.worker import Worker

__all__ = ["BenchResult", "bench_queue", "percentile"]

BENCH_QUEUE = "bench"


@dataclass
class BenchResult:
    """One measurement."""

    metric: str
    jobs: int
    seconds: float
    concurrency: int
    round_trips_per_job: float
    api: str = "sync"
    p50_ms: float | None = None
    p99_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def jobs_per_s(self) -> float:
        """Throughput."""
        return self.jobs / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The measurement as JSON-ready data."""
        data = asdict(self)
        data["jobs_per_s"] = round(self.jobs_per_s, 1)
        data["seconds"] = round(self.seconds, 4)
        data["round_trips_per_job"] = round(self.round_trips_per_job, 4)
        extra = data.pop("extra")
        return {**data, **extra}


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (``pct`` in 0..100)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _fresh(client: redis.Redis) -> Queue:
    queue = Queue(BENCH_QUEUE, redis=client)
    keys = list(client.scan_iter(match=f"{queue.keys.prefix}:{{{BENCH_QUEUE}}}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])
    return queue


def _enqueue(client: redis.Redis, n: int) -> BenchResult:
    queue = _fresh(client)
    for i in range(200):  # warm up: connection, script cache
        queue.add({"i": i})
    queue = _fresh(client)
    start = time.perf_counter()
    for i in range(n):
        queue.add({"i": i})
    return BenchResult("enqueue", n, time.perf_counter() - start, 1, 1.0)


def _enqueue_bulk(client: redis.Redis, n: int, chunk: int = 1000) -> BenchResult:
    queue = _fresh(client)
    queue.create_bulk({"i": i} for i in range(200))
    queue = _fresh(client)
    start = time.perf_counter()
    for first in range(0, n, chunk):
        queue.create_bulk({"i": i} for i in range(first, min(n, first + chunk)))
    seconds = time.perf_counter() - start
    return BenchResult("enqueue_bulk", n, seconds, 1, -(-n // chunk) / n, extra={"chunk": chunk})


def _check_drained(queue: Queue, n: int) -> None:
    counts = queue.counts()
    if counts["complete"] != n or counts["inactive"] or counts["active"]:
        raise RuntimeError(f"benchmark run left the queue inconsistent: {counts}")


def _process(client: redis.Redis, n: int, concurrency: int) -> BenchResult:
    queue = _fresh(client)
    for first in range(0, n, 1000):
        queue.create_bulk({"i": i} for i in range(first, min(n, first + 1000)))
    last = [0.0]
    calls = [0]

    def handler(job: Job) -> None:
        calls[0] += 1
        last[0] = time.perf_counter()

    worker = Worker(queue, handler, concurrency=concurrency)
    start = time.perf_counter()
    stats = worker.run(burst=True, handle_signals=False)
    _check_drained(queue, n)
    return BenchResult("process", n, last[0] - start, concurrency, stats.round_trips / n,
                       extra={"duplicates": calls[0] - n})


def _process_async(url: str | None, client: redis.Redis, n: int, concurrency: int) -> BenchResult:
    queue = _fresh(client)
    for first in range(0, n, 1000):
        queue.create_bulk({"i": i} for i in range(first, min(n, first + 1000)))
    last = [0.0]
    calls = [0]

    async def handler(job: AsyncJob) -> None:
        calls[0] += 1
        last[0] = time.perf_counter()

    async def go() -> tuple[float, int]:
        aclient = _async_client(url)
        try:
            worker = AsyncWorker(AsyncQueue(BENCH_QUEUE, redis=aclient), handler, concurrency=concurrency)
            start = time.perf_counter()
            stats = await worker.run(burst=True, handle_signals=False)  # Ctrl-C ends the benchmark
            return start, stats.round_trips
        finally:
            await aclient.aclose()

    start, trips = asyncio.run(go())
    _check_drained(queue, n)
    return BenchResult("process", n, last[0] - start, concurrency, trips / n, api="asyncio",
                       extra={"duplicates": calls[0] - n})


def _async_client(url: str | None) -> Any:
    if url is None:
        import fakeredis

        from queuesim.connection import embedded_server

        return fakeredis.FakeAsyncRedis(server=embedded_server(), decode_responses=True)
    return redis.asyncio.Redis.from_url(url, decode_responses=True)


def _latency(client: redis.Redis, samples: int, concurrency: int, seed: int = 1) -> BenchResult:
    queue = _fresh(client)
    started = threading.Event()
    stamp = [0.0]

    def handler(job: Job) -> None:
        stamp[0] = time.perf_counter()
        started.set()

    worker = Worker(queue, handler, concurrency=concurrency)
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    rng = random.Random(seed)
    latencies: list[float] = []
    try:
        for i in range(samples + 20):
            time.sleep(rng.uniform(0.002, 0.005))  # think time: the worker goes idle again
            started.clear()
            t0 = time.perf_counter()
            queue.add({"i": i})
            if not started.wait(10):
                raise RuntimeError("a job did not start within 10 s")
            if i >= 20:
                latencies.append((stamp[0] - t0) * 1000)
    finally:
        worker.stop(5)
        thread.join(10)
    return BenchResult(
        "latency", samples, sum(latencies) / 1000, concurrency, worker.stats.round_trips / (samples + 20),
        p50_ms=round(percentile(latencies, 50), 3), p99_ms=round(percentile(latencies, 99), 3),
        extra={"mean_ms": round(statistics.fmean(latencies), 3), "max_ms": round(max(latencies), 3)},
    )


def bench_queue(
    client: redis.Redis,
    *,
    url: str | None = None,
    jobs: int = 10_000,
    concurrencies: tuple[int, ...] = (1, 10, 50),
    latency_samples: int = 1000,
    metrics: tuple[str, ...] = ("enqueue", "enqueue_bulk", "process", "latency"),
    progress: Callable[[str], None] | None = None,
) -> Iterator[BenchResult]:
    """Run the queue benchmarks on ``client`` (its database's ``qs:{bench}:*`` keys are replaced).

    Yields one :class:`BenchResult` per measurement: ``enqueue``, ``enqueue_bulk``,
    ``process`` per concurrency (thread worker, then asyncio worker) and ``latency``.
    When it ends (or is stopped), the ``bench`` queue's keys are deleted and its
    name leaves the queue registry (``qs:queues``); other queues are untouched.
    """
    if jobs < 1 or latency_samples < 1:
        raise ValueError("jobs and latency samples must be >= 1")
    try:
        yield from _measure(client, url, jobs, concurrencies, latency_samples, metrics, progress)
    finally:
        _clean_up(client)


def _clean_up(client: redis.Redis) -> None:
    """Delete the bench queue's keys and take its name out of the registry (the set goes when it empties)."""
    queue = _fresh(client)
    client.srem(queue.keys.registry, BENCH_QUEUE)


def _measure(
    client: redis.Redis,
    url: str | None,
    jobs: int,
    concurrencies: tuple[int, ...],
    latency_samples: int,
    metrics: tuple[str, ...],
    progress: Callable[[str], None] | None,
) -> Iterator[BenchResult]:
    say = progress or (lambda _msg: None)
    if "enqueue" in metrics:
        say("enqueue")
        yield _enqueue(client, jobs)
    if "enqueue_bulk" in metrics:
        say("enqueue_bulk")
        yield _enqueue_bulk(client, jobs)
    if "process" in metrics:
        for c in concurrencies:
            say(f"process x{c}")
            yield _process(client, jobs, c)
            say(f"process x{c} asyncio")
            yield _process_async(url, client, jobs, c)
    if "latency" in metrics:
        say("latency")
        yield _latency(client, latency_samples, max(concurrencies))


def format_table(results: list[BenchResult]) -> str:
    """The results as a Markdown table."""
    lines = ["| metric | api | concurrency | jobs | jobs/s | round trips/job | p50 ms | p99 ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        p50 = "" if r.p50_ms is None else f"{r.p50_ms:.2f}"
        p99 = "" if r.p99_ms is None else f"{r.p99_ms:.2f}"
        lines.append(f"| {r.metric} | {r.api} | {r.concurrency} | {r.jobs} | {r.jobs_per_s:,.0f} | "
                     f"{r.round_trips_per_job:.3f} | {p50} | {p99} |")
    return "\n".join(lines)


def to_json_line(result: BenchResult) -> str:
    """One result as a JSON line."""
    return json.dumps(result.to_dict(), separators=(",", ":"))
