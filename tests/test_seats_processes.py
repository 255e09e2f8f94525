"""8 processes × 50 threads reserve seats at once against a real Redis: directly, and through the queue."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import Counter
from typing import Any

import pytest
import redis

from queuesim.drivers import SyncDriver
from queuesim.queue import Queue, Worker
from queuesim.seat_jobs import QUEUE_NAME, enqueue_reservation, reservation_handler
from queuesim.seats import INITIAL_SEATS, SEATS_KEY, SWITCH_KEY, SeatService

REAL_URL = os.environ.get("REDIS_URL") or None
PROCESSES = 8
THREADS = 50
SEATS = INITIAL_SEATS
STRATEGIES = ("atomic", "watch", "naive")

pytestmark = [
    pytest.mark.real,
    pytest.mark.slow,
    pytest.mark.skipif(REAL_URL is None, reason="needs a real Redis: set REDIS_URL"),
]


def at_the_start_line(ready: Any, go: Any, work: Any) -> list[Any]:
    """THREADS threads wait together; the parent releases all at once; each does ``work()``."""
    all_waiting = threading.Barrier(THREADS + 1)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def one() -> None:
        all_waiting.wait()
        go.wait()
        try:
            outcome = work()
        except Exception as exc:  # counted, so a failure names it instead of losing a buyer
            outcome = f"{type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    for t in threads:
        t.start()
    all_waiting.wait()
    ready.put(os.getpid())
    for t in threads:
        t.join()
    return outcomes


def buyers(url: str, ready: Any, gos: list[Any], results: Any) -> None:
    """One process: THREADS buyers reserve a seat through the seat logic, one round per strategy."""
    client = redis.Redis.from_url(url, decode_responses=True, max_connections=THREADS, socket_timeout=30)
    for strategy, go in zip(STRATEGIES, gos, strict=True):
        service = SeatService(client, strategy)
        results.put(at_the_start_line(ready, go, lambda s=service: s.reserve().status.name))
    client.close()


def queue_users(url: str, ready: Any, gos: list[Any], results: Any) -> None:
    """One process: THREADS threads each save a reservation job; then a worker with THREADS threads
    runs the queue until it is empty, together with the other processes' workers."""
    client = redis.Redis.from_url(url, decode_responses=True, max_connections=2 * THREADS + 8, socket_timeout=30)
    driver = SyncDriver(client)
    for strategy, (enqueue_go, work_go) in zip(STRATEGIES, zip(gos[::2], gos[1::2], strict=True), strict=True):
        at_the_start_line(ready, enqueue_go, lambda: driver.run(enqueue_reservation(time.time_ns() // 10**6)))
        ready.put(os.getpid())
        work_go.wait()
        stats = Worker(Queue(QUEUE_NAME, redis=client), reservation_handler(strategy), concurrency=THREADS).run(
            burst=True
        )
        results.put((stats.completed, stats.failed))
    client.close()


def run_processes(target: Any, rounds: int, between: Any, collect: Any) -> list[list[Any]]:
    """Start PROCESSES processes running ``target``; ``between(round)`` runs before each release,
    and after the rounds where ``collect(round)`` holds, every process's results are gathered."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a multi-threaded pytest
    ready, results = ctx.Queue(), ctx.Queue()
    gos = [ctx.Event() for _ in range(rounds)]
    procs = [ctx.Process(target=target, args=(REAL_URL, ready, gos, results)) for _ in range(PROCESSES)]
    out: list[list[Any]] = []
    try:
        for p in procs:
            p.start()
        for i, go in enumerate(gos):
            between(i)
            for _ in procs:
                ready.get(timeout=120)  # everyone waits at the start line
            go.set()
            if collect(i):
                out.append([o for _ in procs for o in _as_list(results.get(timeout=120))])
    finally:
        for p in procs:
            p.join(timeout=60)
    assert all(p.exitcode == 0 for p in procs)
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def client() -> Any:
    assert REAL_URL is not None
    c = redis.Redis.from_url(REAL_URL, decode_responses=True)
    c.flushdb()
    yield c
    c.flushdb()
    c.close()


@pytest.fixture(scope="module")
def direct(client: redis.Redis) -> dict[str, tuple[Counter[str], str | None, str | None]]:
    """For each strategy: outcome counts, then the stored count and switch."""
    finals: list[tuple[str | None, str | None]] = []

    def between(i: int) -> None:
        if i:
            finals.append((client.get(SEATS_KEY), client.get(SWITCH_KEY)))
        SeatService(client).reset()

    rounds = run_processes(buyers, len(STRATEGIES), between, collect=lambda i: True)
    finals.append((client.get(SEATS_KEY), client.get(SWITCH_KEY)))
    return {s: (Counter(r), *f) for s, r, f in zip(STRATEGIES, rounds, finals, strict=True)}


@pytest.fixture(scope="module")
def queued(client: redis.Redis) -> dict[str, tuple[int, int, str | None, dict[str, int]]]:
    """For each strategy: jobs completed and failed (all workers), the stored count, the queue's counts."""
    finals: list[tuple[str | None, dict[str, int]]] = []
    queue = Queue(QUEUE_NAME, redis=client)

    def between(i: int) -> None:
        if i % 2 == 0:  # before the enqueue round: a clean queue and 50 seats
            if i:
                finals.append((client.get(SEATS_KEY), queue.counts()))
            client.flushdb()
            SeatService(client).reset()

    # rounds go by pairs: all jobs saved at once, then all workers run at once
    rounds = run_processes(queue_users, 2 * len(STRATEGIES), between, collect=lambda i: i % 2 == 1)
    finals.append((client.get(SEATS_KEY), queue.counts()))
    out = {}
    for strategy, outcomes, (left, counts) in zip(STRATEGIES, rounds, finals, strict=True):
        out[strategy] = (sum(c for c, _ in outcomes), sum(f for _, f in outcomes), left, counts)
    return out


@pytest.mark.parametrize("strategy", ["atomic", "watch"])
def test_safe_strategies_reserve_exactly_the_seats(direct: Any, strategy: str) -> None:
    counts, left, switch = direct[strategy]
    # exactly the seats are reserved; every other buyer is told no seats are left, or (watch
    # only, on a loaded machine) that it gave up after its retries, taking nothing
    assert counts["RESERVED"] == SEATS
    assert counts["NO_SEATS"] + counts["CONTENDED"] == PROCESSES * THREADS - SEATS
    assert set(counts) <= {"RESERVED", "NO_SEATS", "CONTENDED"}
    if strategy == "atomic":
        assert counts["CONTENDED"] == 0
    assert (left, switch) == ("0", "0")


@pytest.mark.parametrize("strategy", ["atomic", "watch"])
def test_through_the_queue_exactly_the_seats_are_reserved(queued: Any, strategy: str) -> None:
    completed, failed, left, counts = queued[strategy]
    jobs = PROCESSES * THREADS
    assert (completed, failed) == (SEATS, jobs - SEATS)
    assert left == "0"
    assert counts == {"inactive": 0, "active": 0, "complete": SEATS, "failed": jobs - SEATS, "delayed": 0}


def test_naive_oversell_is_recorded(direct: Any, queued: Any, record_property: Any) -> None:
    counts, left, _ = direct["naive"]
    completed, failed, queued_left, _ = queued["naive"]
    record_property("naive_reserved", counts["RESERVED"])
    record_property("naive_queue_completed", completed)
    print(f"naive: {counts['RESERVED']} reservations directly, {completed} through the queue, for {SEATS} seats")
    # never fewer than the seats, never a negative count; the oversell itself is likely, not certain
    assert counts["RESERVED"] >= SEATS
    assert completed >= SEATS
    assert completed + failed == PROCESSES * THREADS
    assert int(left or 0) >= 0
    assert int(queued_left or 0) >= 0
