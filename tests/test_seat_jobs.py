"""Exercise 13's job side: reservation jobs on queue ``reserve_seat``, the handler, and SeatProcessor."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import fakeredis
import pytest
import redis

import queuesim.seat_jobs
from queuesim.drivers import SyncDriver
from queuesim.queue import Job, Queue, Worker
from queuesim.seat_jobs import (
    QUEUE_NAME,
    SEAT_QUEUE_KEYS,
    SeatProcessor,
    completed_line,
    enqueue_reservation,
    failed_line,
    print_line,
    reservation_handler,
)
from queuesim.seats import SEATS_KEY, SWITCH_KEY, SeatService


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def enqueue(client: redis.Redis, n: int) -> list[tuple[str, str | None]]:
    driver = SyncDriver(client)
    return [driver.run(enqueue_reservation(int(time.time() * 1000))) for _ in range(n)]


@pytest.fixture
def make_processor(r: redis.Redis) -> Iterator[Callable[..., tuple[SeatProcessor, list[str]]]]:
    """Makes SeatProcessors on this test's store that report into a list; closes them all."""
    made: list[SeatProcessor] = []

    def make(**options: Any) -> tuple[SeatProcessor, list[str]]:
        lines: list[str] = []
        processor = SeatProcessor(r, report=lines.append, **options)
        made.append(processor)
        return processor, lines

    yield make
    for processor in made:
        processor.close(0)


def test_a_reservation_job_is_saved_on_reserve_seat(r: redis.Redis) -> None:
    [(job_id, event_id)] = enqueue(r, 1)
    assert job_id == "1"
    assert event_id is not None
    job = Queue(QUEUE_NAME, redis=r).get_job(job_id)
    assert (job.state, job.data, job.max_attempts) == ("inactive", {}, 1)
    assert SEAT_QUEUE_KEYS.jobs == "qs:{reserve_seat}:jobs"
    assert r.keys("available_seats") == []  # saving a job touches no seat


@pytest.mark.parametrize("strategy", ["atomic", "watch", "naive"])
def test_jobs_reserve_the_seats_then_fail_with_not_enough_seats(r: redis.Redis, strategy: str) -> None:
    SeatService(r).reset(3)
    enqueue(r, 5)
    queue = Queue(QUEUE_NAME, redis=r)
    stats = Worker(queue, reservation_handler(strategy)).run(burst=True)
    assert (stats.completed, stats.failed) == (3, 2)
    jobs = {job.id: job for state in ("complete", "failed") for job in queue.jobs(state)}
    assert [jobs[i].result for i in "123"] == [{"remaining": 2}, {"remaining": 1}, {"remaining": 0}]
    assert [jobs[i].error for i in "45"] == ["Not enough seats available"] * 2
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("0", "0")


def test_a_job_whose_watch_gives_up_fails_and_says_why(r: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    r.set(SEATS_KEY, 5)
    real_execute = SyncDriver.execute

    def meddling(self: SyncDriver, step: Any, pin: Any = None) -> Any:
        if type(step).__name__ == "Batch":
            r.decr(SEATS_KEY)  # another client wins every time
        return real_execute(self, step, pin)

    monkeypatch.setattr(SyncDriver, "execute", meddling)
    job = Job(Queue(QUEUE_NAME, redis=r), {})
    with pytest.raises(Exception, match=r"Too much contention: gave up after 1 retries"):
        reservation_handler("watch", max_retries=1)(job)


def test_log_lines() -> None:
    assert completed_line("7") == "Seat reservation job 7 completed"
    assert failed_line("8", "Not enough seats available") == "Seat reservation job 8 failed: Not enough seats available"


def test_print_line_writes_a_line_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    print_line("Seat reservation job 1 completed")
    assert capsys.readouterr().out == "Seat reservation job 1 completed\n"


def test_prepare_stores_50_seats_once(r: redis.Redis, make_processor: Any) -> None:
    processor, _ = make_processor()
    assert processor.prepare() is True
    r.set(SEATS_KEY, 4)
    assert processor.prepare() is False
    assert r.get(SEATS_KEY) == "4"
    assert processor.queue.names() == [QUEUE_NAME]


def test_process_starts_one_worker_and_reports_each_job(r: redis.Redis, make_processor: Any) -> None:
    processor, lines = make_processor()
    SeatService(r).reset(2)
    processor.listen()
    for job_id, _ in enqueue(r, 3):
        processor.follow(job_id)
    assert repr(processor) == "<SeatProcessor atomic idle>"
    assert processor.process() is True
    assert [processor.process() for _ in range(5)] == [False] * 5  # no second worker
    assert repr(processor) == "<SeatProcessor atomic processing>"
    assert sum(t.name == "seat-worker" for t in threading.enumerate()) == 1
    wait_until(lambda: len(lines) == 3)
    assert sorted(lines) == [
        "Seat reservation job 1 completed",
        "Seat reservation job 2 completed",
        "Seat reservation job 3 failed: Not enough seats available",
    ]
    # a job saved while the worker runs is picked up at once
    [(job_id, _)] = enqueue(r, 1)
    processor.follow(job_id)
    wait_until(lambda: len(lines) == 4)
    assert lines[-1] == "Seat reservation job 4 failed: Not enough seats available"
    processor.close()
    assert not processor.processing


def test_a_job_that_ended_before_follow_still_gets_its_line(r: redis.Redis, make_processor: Any) -> None:
    processor, lines = make_processor()
    worker_side, _ = make_processor()
    processor.listen()
    saved = enqueue(r, 2)
    processor.follow(saved[0][0])
    worker_side.process()  # another worker (as in another process) runs both jobs
    wait_until(lambda: worker_side.queue.counts()["complete"] == 2)
    wait_until(lambda: len(lines) == 1)
    processor.follow(saved[1][0])  # job 2 is over already (or about to be): its line comes all the same
    wait_until(lambda: len(lines) == 2)
    assert sorted(lines) == ["Seat reservation job 1 completed", "Seat reservation job 2 completed"]


def test_jobs_this_process_did_not_follow_print_nothing(r: redis.Redis, make_processor: Any) -> None:
    processor, lines = make_processor()
    processor.listen()
    mine = enqueue(r, 1)[0]
    enqueue(r, 1)  # someone else's job
    processor.follow(mine[0])
    processor.process()
    wait_until(lambda: processor.queue.counts()["complete"] == 2)
    wait_until(lambda: len(lines) == 1)
    assert lines == ["Seat reservation job 1 completed"]


def test_only_the_latest_unfollowed_outcomes_are_kept(
    r: redis.Redis, make_processor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queuesim.seat_jobs, "EARLY_OUTCOMES", 2)
    processor, lines = make_processor()
    processor.listen()
    saved = [job_id for job_id, _ in enqueue(r, 3)]
    processor.process()
    wait_until(lambda: processor.queue.counts()["complete"] == 3)
    # all three outcomes read before anyone follows (else job 3, followed first, would
    # never take a place among the early ones and job 1 would still be kept)
    wait_until(lambda: len(processor._early) == 2)
    processor.follow(saved[2])  # kept: its line comes at once
    assert lines == ["Seat reservation job 3 completed"]
    processor.follow(saved[0])  # forgotten: only 2 outcomes are kept for jobs nobody followed yet
    processor.close()
    assert lines == ["Seat reservation job 3 completed"]


def test_close_lets_a_running_job_finish(r: redis.Redis, make_processor: Any) -> None:
    processor, _ = make_processor()
    started, release = threading.Event(), threading.Event()
    real = processor.handler

    def slow(job: Job) -> Any:
        started.set()
        release.wait(10)
        return real(job)

    processor.handler = slow
    enqueue(r, 1)
    processor.process()
    assert started.wait(10)
    threading.Timer(0.2, release.set).start()  # the job ends while close() waits for it
    processor.close(timeout=10)
    assert processor.queue.counts()["complete"] == 1
    assert r.get(SEATS_KEY) == "49"


def test_close_gives_an_unfinished_job_back_to_inactive(r: redis.Redis, make_processor: Any) -> None:
    processor, _ = make_processor()
    started, release = threading.Event(), threading.Event()

    def stuck(job: Job) -> Any:
        started.set()
        release.wait(10)
        return None

    processor.handler = stuck
    enqueue(r, 1)
    processor.process()
    assert started.wait(10)
    processor.close(timeout=0.1)
    release.set()
    assert processor.queue.counts() == {"inactive": 1, "active": 0, "complete": 0, "failed": 0, "delayed": 0}
    assert r.get(SEATS_KEY) is None  # no seat taken: the job will run again


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"needs a synchronous redis\.Redis client"):
        SeatProcessor(fakeredis.FakeAsyncRedis())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="concurrency must be between 1"):
        SeatProcessor(fakeredis.FakeRedis(), concurrency=0)
    with pytest.raises(ValueError, match="unknown seat strategy"):
        SeatProcessor(fakeredis.FakeRedis(), "lua")
    with pytest.raises(ValueError, match="shutdown_timeout"):
        SeatProcessor(fakeredis.FakeRedis(), shutdown_timeout=-1)
