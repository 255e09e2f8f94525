"""Workers: running, retrying, timing out, pausing, stopping, and recovering from crashes."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections import Counter
from typing import Any

import pytest
import redis
from polling import wait_for

from queuesim.errors import InvalidTransition, JobNotFound
from queuesim.queue import Job, JobState, Queue, Worker
from queuesim.queue import conversations as conv
from queuesim.queue.invariants import check_invariants
from queuesim.queue.options import backoff_delay


def run_in_thread(worker: Worker, **kwargs: Any) -> threading.Thread:
    t = threading.Thread(target=worker.run, kwargs=kwargs, daemon=True)
    t.start()
    return t


def test_runs_jobs_stores_results_progress_and_logs(queue: Queue) -> None:
    def handler(job: Job) -> dict[str, Any]:
        job.progress(1, 3, {"step": "one"})
        job.log("working on %s", job.data["to"])
        return {"sent": job.data["to"]}

    job = queue.add({"to": "ada"})
    stats = Worker(queue, handler).run(burst=True)
    assert (stats.claimed, stats.completed, stats.failed) == (1, 1, 0)
    job.refresh()
    assert job.state is JobState.COMPLETE
    assert job.result == {"sent": "ada"}
    assert (job.percent, job.progress_data) == (33, {"step": "one"})
    assert job.logs() == ["working on ada"]
    assert job.duration is not None
    assert [e.name for e in queue.events.history(job.id)] == ["enqueue", "start", "progress", "complete"]


def test_failures_retry_then_fail_with_error_and_traceback(queue: Queue) -> None:
    calls = Counter[str]()

    def handler(job: Job) -> None:
        calls[job.id or ""] += 1
        raise ValueError(f"Phone number {job.data} is blacklisted")

    job = queue.add("4153518780", attempts=3)
    stats = Worker(queue, handler).run(burst=True)
    assert calls[job.id or ""] == 3
    assert (stats.failed, stats.completed) == (3, 0)
    job.refresh()
    assert job.state is JobState.FAILED
    assert job.error == "Phone number 4153518780 is blacklisted"
    assert job.stacktrace is not None
    assert "ValueError" in job.stacktrace
    assert job.attempts == 3
    history = [(e.name, e.args) for e in queue.events.history(job.id) if e.name.startswith("failed")]
    message = "Phone number 4153518780 is blacklisted"
    assert history == [("failed attempt", (message, 1)), ("failed attempt", (message, 2)), ("failed", (message,))]


def test_backoff_delays() -> None:
    assert backoff_delay({"type": "fixed", "delay": 40}, 3, "e", {}) == 40
    exp = {"type": "exponential", "delay": 10, "max_delay": 50}
    assert [backoff_delay(exp, n, "e", {}) for n in (1, 2, 3, 4)] == [10, 20, 40, 50]
    assert backoff_delay({"type": "custom", "name": "f"}, 2, "boom", {"f": lambda n, e: n * len(e)}) == 8
    assert backoff_delay(None, 5, "e", {}) == 0


def test_retry_waits_for_backoff_in_delayed(make_queue, clock: Any) -> None:  # type: ignore[no-untyped-def]
    q = make_queue(clock=clock)
    job = q.add("x", attempts=2, backoff={"type": "exponential", "delay": 1000})
    fails = iter([True, False])

    def handler(job: Job) -> str:
        if next(fails):
            raise RuntimeError("flaky")
        return "ok"

    w = Worker(q, handler)
    t = run_in_thread(w, burst=True)
    wait_for(lambda: q.counts()["delayed"] == 1)
    assert q.get_job(job.id or "").state is JobState.DELAYED
    clock.advance(1000)
    w._notify()  # the clock moved: look again now
    t.join(10)
    assert not t.is_alive()
    assert q.get_job(job.id or "").state is JobState.COMPLETE


def test_custom_backoff_function_by_name(make_queue, clock: Any) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[int, str]] = []

    def linear(attempts: int, error: str) -> int:
        seen.append((attempts, error))
        return 0

    q = make_queue(clock=clock)
    q.add("x", attempts=3, backoff=linear)
    Worker(q, lambda job: 1 / 0).run(burst=True)
    assert seen == [(1, "division by zero"), (2, "division by zero")]


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (lambda job: object(), "the result of job 1 must be JSON-serialisable"),
        (lambda job: (_ for _ in ()).throw(SystemExit(3)), "handler raised SystemExit: 3"),
        (lambda job: (_ for _ in ()).throw(KeyboardInterrupt()), "handler raised KeyboardInterrupt"),
    ],
)
def test_bad_handlers_fail_the_job_not_the_worker(queue: Queue, handler: Any, message: str) -> None:
    queue.add(1)
    queue.add(2)
    stats = Worker(queue, handler, concurrency=2).run(burst=True)
    assert stats.failed == 2
    assert (queue.get_job(1).error or "").startswith(message)


def test_async_handler_in_thread_worker(queue: Queue) -> None:
    async def handler(job: Job) -> int:
        await asyncio.sleep(0)
        return int(job.data) * 2

    queue.create_bulk([1, 2, 3])
    Worker(queue, handler, concurrency=2).run(burst=True)
    assert sorted(j.result for j in queue.jobs("complete")) == [2, 4, 6]


def test_concurrency_runs_jobs_at_the_same_time(queue: Queue) -> None:
    barrier = threading.Barrier(4, timeout=10)
    queue.create_bulk(range(4))
    stats = Worker(queue, lambda job: barrier.wait(), concurrency=4).run(burst=True)
    assert stats.completed == 4  # a worker running fewer than 4 at once would break the barrier


def test_ttl_exceeded_fails_a_job_that_runs_too_long(queue: Queue) -> None:
    release = threading.Event()
    job = queue.add("slow", ttl=50)
    w = Worker(queue, lambda job: release.wait(10))
    t = run_in_thread(w, burst=True)
    wait_for(lambda: queue.get_job(job.id or "").state is JobState.FAILED)
    release.set()
    t.join(10)
    assert queue.get_job(job.id or "").error == "TTL exceeded"


def test_remove_on_complete(queue: Queue, r: redis.Redis) -> None:
    job = queue.add("x", remove_on_complete=True)
    job.log("a line")
    Worker(queue, lambda job: None).run(burst=True)
    assert queue.counts()["complete"] == 0
    assert r.hlen(queue.keys.jobs) == 0
    assert r.exists(queue.keys.log(job.id or "")) == 0
    assert [e.name for e in queue.events.history(job.id)][-1] == "complete"


def test_clean_old_finished_jobs(make_queue, clock: Any, r: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    q = make_queue(clock=clock)
    q.create_bulk(range(3))
    Worker(q, lambda job: None).run(burst=True)
    clock.advance(10_000)
    q.add(99)
    Worker(q, lambda job: None).run(burst=True)
    assert q.clean("complete", older_than_ms=5_000) == ["1", "2", "3"]
    assert [j.data for j in q.jobs("complete")] == [99]
    with pytest.raises(ValueError, match="only complete or failed"):
        q.clean("inactive")


def test_queue_pause_stops_claims_until_resume(queue: Queue) -> None:
    queue.pause()
    assert queue.is_paused()
    queue.add(1)
    fetched = queue.driver.run(conv.fetch(queue.keys, 100, queue.now(), 5, lease_ms=1000, token_prefix="t",
                                          stall_interval_ms=1000, max_stalls=1))
    assert fetched.jobs == []
    assert fetched.inactive == 1
    queue.resume()
    assert Worker(queue, lambda job: "ok").run(burst=True).completed == 1


def test_worker_pause_and_resume(queue: Queue) -> None:
    started = threading.Event()
    w = Worker(queue, lambda job: started.set(), poll_interval=0.05)
    w.pause()
    t = run_in_thread(w)
    queue.add(1)
    assert not started.wait(0.3)  # paused: the job must not start (bounded wait for a non-event)
    w.resume()
    assert started.wait(10)
    w.stop()
    t.join(10)
    assert not t.is_alive()


def test_graceful_stop_lets_running_jobs_finish(queue: Queue) -> None:
    started, release = threading.Event(), threading.Event()

    def handler(job: Job) -> str:
        started.set()
        release.wait(10)
        return "done"

    job = queue.add(1)
    queue.add(2)
    w = Worker(queue, handler)
    t = run_in_thread(w)
    assert started.wait(10)
    w.stop(timeout=10)
    release.set()
    t.join(10)
    assert not t.is_alive()
    assert queue.get_job(job.id or "").state is JobState.COMPLETE
    assert queue.get_job(2).state is JobState.INACTIVE  # not started after the stop


def test_stop_signal_says_which_signal_stopped_the_run(queue: Queue) -> None:
    """A signal in the main thread stops the run gracefully and is remembered; stop() leaves it None."""
    started, release = threading.Event(), threading.Event()
    job = queue.add(1)

    def handler(job: Job) -> str:
        started.set()
        release.wait(10)
        return "done"

    def send_sigterm_when_started() -> None:
        assert started.wait(10)
        os.kill(os.getpid(), signal.SIGTERM)
        wait_for(lambda: w.stop_signal is not None)
        release.set()

    w = Worker(queue, handler)
    sender = threading.Thread(target=send_sigterm_when_started, daemon=True)
    sender.start()
    before = signal.getsignal(signal.SIGTERM)
    w.run(handle_signals=True)  # returns after the graceful stop, the running job finished
    sender.join(10)
    assert w.stop_signal is signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before  # the handler was restored
    assert queue.get_job(job.id or "").state is JobState.COMPLETE

    t = run_in_thread(w)
    w.stop()
    t.join(10)
    assert not t.is_alive()
    assert w.stop_signal is None  # reset by each run; stop() is not a signal


def test_stop_timeout_gives_running_jobs_back(queue: Queue) -> None:
    started, release = threading.Event(), threading.Event()
    job = queue.add(1, attempts=1)
    w = Worker(queue, lambda job: (started.set(), release.wait(10)))
    t = run_in_thread(w)
    assert started.wait(10)
    w.stop(timeout=0)
    t.join(10)
    release.set()
    assert not t.is_alive()
    assert w.stats.requeued == 1
    job.refresh()
    assert (job.state, job.attempts) == (JobState.INACTIVE, 0)  # the interrupted run does not count
    assert Worker(queue, lambda job: "again").run(burst=True).completed == 1


def test_expired_lease_returns_job_and_late_outcome_is_refused(make_queue, clock: Any) -> None:  # type: ignore[no-untyped-def]
    q = make_queue(clock=clock)
    job = q.add("x")
    # a worker claims the job, then dies: it never finishes nor renews
    dead = q.driver.run(conv.fetch(q.keys, 100, clock(), 1, lease_ms=1000, token_prefix="dead",
                                   stall_interval_ms=500, max_stalls=2))
    assert [c.id for c in dead.jobs] == [job.id]
    assert q.counts()["active"] == 1
    clock.advance(1500)
    stats = Worker(q, lambda job: "recovered", stall_interval_ms=500).run(burst=True)
    assert stats.completed == 1
    job.refresh()
    assert (job.state, job.result, job.attempts) == (JobState.COMPLETE, "recovered", 1)
    assert "stalled" in [e.name for e in q.events.history(job.id)]
    late = conv.Outcome(job.id or "", dead.jobs[0].token, "complete", '"late"')
    assert q.driver.run(conv.finish(q.keys, 100, clock(), [late])) == [False]
    assert q.get_job(job.id or "").result == "recovered"


def test_job_failing_after_too_many_stalls(make_queue, clock: Any) -> None:  # type: ignore[no-untyped-def]
    q = make_queue(clock=clock)
    job = q.add("x", attempts=5)
    for _ in range(3):
        q.driver.run(conv.fetch(q.keys, 100, clock(), 1, lease_ms=100, token_prefix="dead",
                                stall_interval_ms=0, max_stalls=2))
        clock.advance(200)
        q.driver.run(conv.recover_stalled(q.keys, 100, clock(), stall_interval_ms=0, max_stalls=2))
    job.refresh()
    assert job.state is JobState.FAILED
    assert job.error == "job stalled more than allowable limit"


def test_lease_is_renewed_while_a_long_job_runs(make_queue) -> None:  # type: ignore[no-untyped-def]
    q = make_queue()
    release = threading.Event()
    job = q.add(1)
    w = Worker(q, lambda job: release.wait(10), lease_ms=300, stall_interval_ms=50)
    t = run_in_thread(w)
    wait_for(lambda: q.counts()["active"] == 1)
    first = q.client.zscore(q.keys.active, job.id or "")
    wait_for(lambda: (q.client.zscore(q.keys.active, job.id or "") or 0) > (first or 0), timeout=5)
    release.set()
    w.stop()
    t.join(10)
    assert q.get_job(1).state is JobState.COMPLETE
    assert w.stats.lost == 0


def test_many_workers_run_each_job_once(make_queue, redis_factory) -> None:  # type: ignore[no-untyped-def]
    q = make_queue()
    q.create_bulk(range(400))
    seen = Counter[int]()
    lock = threading.Lock()

    def handler(job: Job) -> None:
        with lock:
            seen[job.data] += 1

    workers = [Worker(Queue("test", redis=redis_factory()), handler, concurrency=5) for _ in range(4)]
    threads = [threading.Thread(target=w.run, kwargs={"burst": True}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(seen) == list(range(400))
    assert max(seen.values()) == 1
    assert q.counts()["complete"] == 400


def test_worker_argument_validation(queue: Queue) -> None:
    with pytest.raises(TypeError, match="handler must be callable"):
        Worker(queue, "not a function")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="concurrency must be an integer >= 1"):
        Worker(queue, print, concurrency=0)
    w = Worker(queue, print)
    t = run_in_thread(w)
    wait_for(lambda: w._running)
    with pytest.raises(RuntimeError, match="already running"):
        w.run()
    w.stop()
    t.join(10)


def test_idle_worker_wakes_on_new_job(queue: Queue) -> None:
    done = threading.Event()
    w = Worker(queue, lambda job: done.set(), poll_interval=5.0)
    t = run_in_thread(w)
    wait_for(lambda: w._want_work.is_set())
    queue.add(1)
    assert done.wait(4)  # well before the 5 s poll: the wake list did it
    w.stop()
    t.join(10)


def test_a_running_job_is_removed_only_with_force(queue: Queue, r: redis.Redis) -> None:
    job = queue.add("x")
    job.log("started")
    running = queue.driver.run(conv.fetch(queue.keys, 100, queue.now(), 1, lease_ms=60_000, token_prefix="w",
                                          stall_interval_ms=1000, max_stalls=1))
    before = {key: r.dump(key) for key in r.keys("*")}
    with pytest.raises(InvalidTransition, match=f"job {job.id} is running; it cannot be removed"):
        job.remove()
    assert {key: r.dump(key) for key in r.keys("*")} == before  # refused: nothing changed
    job.remove(force=True)
    assert queue.counts()["active"] == 0
    assert r.exists(queue.keys.log(job.id or "")) == 0
    # the worker that held it reports later: its outcome is refused, nothing comes back
    late = conv.Outcome(job.id or "", running.jobs[0].token, "complete", '"late"')
    assert queue.driver.run(conv.finish(queue.keys, 100, queue.now(), [late])) == [False]
    with pytest.raises(JobNotFound):
        queue.get_job(job.id or "")
    check_invariants(r, queue.keys)


def test_wait_on_a_job_loaded_by_id_that_already_finished_returns_at_once(queue: Queue) -> None:
    job = queue.add("x")
    Worker(queue, lambda j: "done").run(burst=True)
    loaded = queue.get_job(job.id or "")
    started = time.monotonic()
    assert loaded.wait(5) is JobState.COMPLETE
    # nothing to catch up on: this process did not save it, so no earlier event of it was promised
    assert time.monotonic() - started < 0.5


def test_wait_sees_a_job_without_events_finish(queue: Queue) -> None:
    job = queue.add("x", events=False)
    release = threading.Event()
    worker = Worker(queue, lambda j: release.wait(10) and "done", poll_interval=0.05)
    t = run_in_thread(worker)
    try:
        wait_for(lambda: queue.counts()["active"] == 1)
        assert job.wait(0.2) is JobState.ACTIVE  # the timeout, not forever
        release.set()
        started = time.monotonic()
        assert job.wait(10) is JobState.COMPLETE  # no event will come: the state is looked at
        assert time.monotonic() - started < 5  # soon after it finished, not at the timeout
    finally:
        worker.stop()
        t.join(10)


def test_wait_on_a_finished_loaded_job_leaves_no_callbacks_behind(queue: Queue) -> None:
    job = queue.add("x")
    Worker(queue, lambda j: "done").run(burst=True)
    for _ in range(3):
        assert queue.get_job(job.id or "").wait(5) is JobState.COMPLETE
    # its final event went by before these waits: callbacks for it would never fire nor go
    assert not queue.events._job_callbacks.get(job.id or "")
