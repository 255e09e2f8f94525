"""Behaviour written once, run on both shells: the sync Queue/Job/Worker and their asyncio twins."""

from __future__ import annotations

import inspect
import threading
import time
from typing import Any

import pytest
import redis
from polling import wait_for
from shells import Shell

from queuesim import InvalidTransition, JobFailed, JobNotFound
from queuesim.queue import JobState


def test_save_read_list_count_and_remove(shell: Shell, r: redis.Redis) -> None:
    q = shell.queue()
    a = shell.do(q.create({"n": [1, []]}).save())
    jobs = shell.do(q.create_bulk([{"n": 2}, ({"n": 3}, {"priority": "high"})], attempts=2))
    assert (a.id, [j.id for j in jobs]) == ("1", ["2", "3"])
    got = shell.do(q.get_job(1))
    assert (got.data, got.state, repr(got).split()[0]) == ({"n": [1, []]}, JobState.INACTIVE,
                                                           "<Job" if shell.name == "sync" else "<AsyncJob")
    assert [j.data["n"] for j in shell.do(q.jobs("inactive"))] == [3, [1, []], 2]  # high priority first
    assert [j.max_attempts for j in shell.do(q.jobs("inactive"))] == [2, 1, 2]
    assert shell.do(q.counts())["inactive"] == 3
    assert shell.do(q.names()) == ["test"]
    shell.do(a.remove())
    with pytest.raises(JobNotFound, match="job 1 of queue 'test' does not exist"):
        shell.do(q.get_job(1))
    with pytest.raises(JobNotFound, match="is not a job id"):
        shell.do(q.get_job("x"))
    with pytest.raises(InvalidTransition, match="already saved"):
        shell.do(jobs[0].save())
    assert r.hlen(q.keys.jobs) == 2


def test_worker_runs_a_sync_handler_whose_progress_and_log_work(shell: Shell) -> None:
    """Under AsyncWorker a plain handler runs in a thread, with a job whose progress and log reach Redis."""
    q = shell.queue()
    job = shell.do(q.add({"to": "ada"}))

    def handler(j: Any) -> dict[str, Any]:
        assert j.progress(1, 3, {"step": 1}) == 33
        j.log("sent to %s", j.data["to"])
        return {"sent": j.data["to"]}

    stats = shell.work(q, handler)
    assert (stats.claimed, stats.completed, stats.failed) == (1, 1, 0)
    shell.do(job.refresh())
    assert (job.state, job.result, job.percent, job.progress_data) == (JobState.COMPLETE, {"sent": "ada"}, 33,
                                                                        {"step": 1})
    assert shell.do(job.logs()) == ["sent to ada"]
    assert [e.name for e in shell.do(q.events.history(job.id))] == ["enqueue", "start", "progress", "complete"]
    stats_now = shell.do(q.stats())
    assert (stats_now["complete"], stats_now["completed_total"]) == (1, 1)
    assert stats_now["work_time"] >= 0


def test_an_async_handler_reports_through_its_own_job(shell: Shell) -> None:
    q = shell.queue()
    job = shell.do(q.add(5))

    async def handler(j: Any) -> int:
        if shell.name == "async":
            await j.progress(1, 2)
            await j.log("async")
        else:
            j.progress(1, 2)
            j.log("async")
        return int(j.data) * 2

    shell.work(q, handler, concurrency=2)
    shell.do(job.refresh())
    assert (job.result, job.percent, shell.do(job.logs())) == (10, 50, ["async"])


def test_failures_retry_then_requeue_gives_the_attempts_back(shell: Shell) -> None:
    q = shell.queue()
    job = shell.do(q.add("x", attempts=2))
    runs: list[int] = []

    def failing(j: Any) -> None:
        runs.append(j.attempts)
        raise ValueError("boom")

    assert shell.work(q, failing).failed == 2
    shell.do(job.refresh())
    assert (job.state, job.error, job.attempts) == (JobState.FAILED, "boom", 2)
    assert shell.do(job.requeue()) is JobState.INACTIVE
    shell.do(job.refresh())
    assert job.attempts == 0  # all its attempts again (BullMQ's retry with resetAttemptsMade)
    assert shell.work(q, failing).failed == 2
    assert runs == [1, 2, 1, 2]
    shell.do(job.requeue(reset_attempts=False))  # Kue's requeue: the count stays, one more run
    assert shell.work(q, failing).failed == 1
    assert runs[-1] == 3
    shell.do(job.refresh())
    assert (job.state, job.attempts) == (JobState.FAILED, 3)


def test_move_set_priority_clean_and_refusals(shell: Shell, clock: Any) -> None:
    q = shell.queue(clock=clock)
    a, b = shell.do(q.create_bulk(["a", "b"]))
    assert shell.do(b.set_priority("critical")) is JobState.INACTIVE
    assert b.priority == -15
    assert [j.data for j in shell.do(q.jobs("inactive"))] == ["b", "a"]
    assert shell.do(q.move(a.id, "complete")) is JobState.COMPLETE
    with pytest.raises(InvalidTransition, match="only a worker"):
        shell.do(q.move(b.id, "active"))
    with pytest.raises(ValueError, match="unknown job state"):
        shell.do(q.move(b.id, "done"))
    clock.advance(10_000)
    assert shell.do(q.clean("complete", older_than_ms=5_000)) == [a.id]
    with pytest.raises(ValueError, match="only complete or failed"):
        shell.do(q.clean("inactive"))
    with pytest.raises(JobNotFound):
        shell.do(q.set_priority(a.id, 1))


def test_pause_state_promote_and_delayed(shell: Shell, clock: Any) -> None:
    q = shell.queue(clock=clock)
    assert shell.do(q.is_paused()) is False
    shell.do(q.pause())
    assert shell.do(q.is_paused()) is True
    shell.do(q.resume())
    assert shell.do(q.is_paused()) is False
    job = shell.do(q.add("later", delay=1000))
    assert job.state is JobState.DELAYED
    assert shell.do(q.promote()) == 0
    clock.advance(1000)
    assert shell.do(q.promote()) == 1
    assert shell.do(q.recover_stalled()) == 1


def test_test_mode_records_without_writing(shell: Shell, r: redis.Redis) -> None:
    q = shell.queue()
    with q.test_mode() as mode:
        shell.do(q.add({"a": 1}))
        shell.do(q.create_bulk([1, 2]))
        assert [j.id for j in mode.jobs] == ["1", "2", "3"]
    assert r.dbsize() == 0


def test_events_reach_callbacks_and_wait_returns_the_outcome(shell: Shell) -> None:
    q = shell.queue()
    seen: list[tuple[str, Any]] = []
    done = threading.Event()
    good = shell.do(q.add({"n": 1}))
    bad = shell.do(q.add({"n": -1}))
    shell.do(good.on("progress", lambda pct, data: seen.append(("progress", pct))))
    shell.do(good.on("complete", lambda result: seen.append(("complete", result))))
    shell.do(q.on("job failed", lambda job_id, error: (seen.append(("failed", job_id)), done.set())))

    def handler(j: Any) -> int:
        if j.data["n"] < 0:
            raise RuntimeError("negative")
        j.progress(1, 1)
        return int(j.data["n"])

    worker = shell.worker(q, handler, poll_interval=0.05)
    running = shell.start(worker)
    try:
        assert shell.do(good.wait(10)) is JobState.COMPLETE
        assert shell.do(good.wait_result(10)) == 1
        with pytest.raises(JobFailed, match="job 2 failed: negative") as failed:
            shell.do(bad.wait_result(10))
        assert failed.value.error == "negative"
        assert done.wait(10)
    finally:
        shell.stop(worker, running)
    assert ("progress", 100) in seen
    assert ("complete", 1) in seen
    assert ("failed", bad.id) in seen
    follow = shell.take(q.events.follow(since="0-0"), 3)
    assert [e.name for e in follow] == ["enqueue", "enqueue", "start"]


def test_wait_result_times_out_on_a_job_nobody_runs(shell: Shell) -> None:
    q = shell.queue()
    job = shell.do(q.add("x"))
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="still inactive"):
        shell.do(job.wait_result(0.2))
    assert time.monotonic() - started < 5


def test_a_late_listener_replays_what_it_missed(shell: Shell) -> None:
    q = shell.queue()
    job = shell.do(q.add(1))
    shell.work(q, lambda j: {"ok": j.id})
    results: list[Any] = []
    shell.do(job.on("complete", results.append))  # the job completed before anyone listened
    assert results == [{"ok": job.id}]


def test_close_stops_the_listener(shell: Shell) -> None:
    q = shell.queue()
    job = shell.do(q.add(1))
    shell.do(job.on("complete", lambda result: None))
    assert "listening" in repr(q.events)
    shell.do(q.close())
    assert "idle" in repr(q.events)


def test_names_stats_and_kue_s_job_get(shell: Shell) -> None:
    email, sms = shell.queue("email"), shell.queue("sms")
    job = shell.do(email.add({"to": "ada"}, attempts=1))
    shell.do(sms.add(2))
    assert shell.do(email.names()) == shell.do(sms.names()) == ["email", "sms"]
    got = shell.do(type(job).get(email, job.id))
    assert (type(got), got.data, got.state) == (type(job), {"to": "ada"}, JobState.INACTIVE)

    def fail(j: Any) -> None:
        raise ValueError("no")

    shell.work(email, fail)
    stats = shell.do(email.stats())
    assert {k: stats[k] for k in ("inactive", "failed", "completed_total", "failed_total")} == {
        "inactive": 0, "failed": 1, "completed_total": 0, "failed_total": 1}
    assert shell.do(sms.stats())["inactive"] == 1


def test_queue_requeue_and_set_priority_by_id(shell: Shell) -> None:
    q = shell.queue()
    job = shell.do(q.add("x", attempts=2))
    waiting = shell.do(q.add("y"))

    def fail(j: Any) -> None:
        raise ValueError("no")

    shell.work(q, fail)  # both attempts of x, one of y
    assert shell.do(q.requeue(job.id, reset_attempts=False)) is JobState.INACTIVE
    assert shell.do(q.get_job(job.id)).attempts == 2  # Kue's: the count stays
    assert shell.do(q.move(job.id, "failed")) is JobState.FAILED
    assert shell.do(q.requeue(job.id)) is JobState.INACTIVE
    assert shell.do(q.get_job(job.id)).attempts == 0  # BullMQ's resetAttemptsMade, the default
    shell.do(q.requeue(waiting.id))
    assert shell.do(q.set_priority(waiting.id, "high")) is JobState.INACTIVE
    assert [j.data for j in shell.do(q.jobs("inactive"))] == ["y", "x"]
    assert shell.do(q.get_job(waiting.id)).priority == -10
    moves = [e.args for e in shell.do(q.events.history(waiting.id)) if e.name == "move"]
    assert moves[-1] == ("inactive", "inactive", -10)
    with pytest.raises(JobNotFound):
        shell.do(q.requeue(99))


def test_a_paused_worker_claims_nothing_until_resumed(shell: Shell, r: redis.Redis) -> None:
    q = shell.queue()
    worker = shell.worker(q, lambda j: "ran", poll_interval=0.05, heartbeat_ms=20)
    shell.call(worker.pause)
    running = shell.start(worker)
    try:
        job = shell.do(q.add(1))

        def paused_beat_after_the_job() -> bool:
            entry = r.hgetall(q.keys.worker(worker.id))
            return bool(entry) and entry["state"] == "paused" and int(entry["beat_at"]) > (job.created_at or 0)

        wait_for(paused_beat_after_the_job, what="a heartbeat saying paused, after the job was saved")
        shell.do(job.refresh())
        assert job.state is JobState.INACTIVE  # paused: the job waits
        shell.call(worker.resume)
        assert shell.do(job.wait(10)) is JobState.COMPLETE
    finally:
        stats = shell.stop(worker, running)
    assert stats.completed == 1


def test_wait_returns_the_failed_state(shell: Shell) -> None:
    q = shell.queue()
    job = shell.do(q.add("x"))

    def fail(j: Any) -> None:
        raise ValueError("no")

    shell.work(q, fail)
    assert shell.do(job.wait(5)) is JobState.FAILED


class FlakyDriver:
    """A queue's driver whose first ``failures`` runs fail as if Redis were down."""

    def __init__(self, inner: Any, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    def run(self, conversation: Any) -> Any:
        if self.failures:
            self.failures -= 1
            conversation.close()
            error = redis.ConnectionError("Error 111 connecting to redis. Connection refused.")
            if inspect.iscoroutinefunction(self.inner.run):
                return _raising(error)
            raise error
        return self.inner.run(conversation)


async def _raising(error: BaseException) -> Any:
    raise error


def test_a_handler_s_progress_and_log_wait_out_an_outage(shell: Shell) -> None:
    """A job its worker runs (it holds the lease token) does not fail because Redis blinked in a report;
    a job loaded by anyone else raises at once."""
    q = shell.queue()
    saved = shell.do(q.add("x"))
    job = shell.do(q.get_job(saved.id))
    real = q.driver
    q.driver = FlakyDriver(real, failures=1)
    with pytest.raises(redis.ConnectionError):
        shell.do(job.progress(1, 4))  # not a handler's job: the caller decides
    job._token = "w.1"  # as a worker's claim makes it
    assert job.reporting
    q.driver = FlakyDriver(real, failures=2)
    assert shell.do(job.progress(1, 4)) == 25
    q.driver = FlakyDriver(real, failures=2)
    shell.do(job.log("after %s", "the outage"))
    q.driver = real
    assert shell.do(job.logs()) == ["after the outage"]
    assert shell.do(q.get_job(saved.id)).percent == 25
