"""Creating, reading, changing and removing jobs; options and their validation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from queuesim import InvalidJobOption, InvalidTransition, JobNotFound
from queuesim.queue import PRIORITIES, Job, JobState, Queue
from queuesim.queue.invariants import check_invariants


def test_save_assigns_increasing_ids_and_stores_data(queue: Queue) -> None:
    a = queue.create({"to": "x", "n": [1, 2, []]}).save()
    b = queue.add([])
    assert (a.id, b.id) == ("1", "2")
    got = queue.get_job(1)
    assert got.data == {"to": "x", "n": [1, 2, []]}  # empty lists survive (no Lua decoding of data)
    assert queue.get_job("2").data == []
    assert got.state is JobState.INACTIVE
    assert repr(got) == "<Job 1 test:inactive>"


def test_ids_continue_across_queue_objects(queue: Queue, r: redis.Redis) -> None:
    queue.add(1)
    assert Queue("test", redis=r).add(2).id == "2"


def test_job_get_kue_style(queue: Queue) -> None:
    job = queue.add({"a": 1})
    assert Job.get(queue, job.id or "").data == {"a": 1}


@pytest.mark.parametrize("bad", [object(), {1, 2}, float("nan"), b"bytes"])
def test_non_json_data_is_refused_before_anything_is_written(queue: Queue, r: redis.Redis, bad: object) -> None:
    with pytest.raises(TypeError, match="job data must be JSON"):
        queue.create(bad)
    assert r.dbsize() == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"priority": "urgent"}, "unknown priority 'urgent'"),
        ({"priority": 1.5}, "priority must be a name or an integer"),
        ({"priority": 2**30}, "outside"),
        ({"delay": -1}, "delay must be a finite number"),
        ({"delay": "soon"}, "delay must be milliseconds"),
        ({"attempts": 0}, "attempts must be at least 1"),
        ({"attempts": "3"}, "attempts must be an integer"),
        ({"ttl": -5}, "ttl must be a finite number"),
        ({"backoff": {"type": "linear"}}, "backoff type must be"),
        ({"backoff": {"delay": 10, "jitter": 1}}, "unknown backoff keys: jitter"),
        ({"backoff": "fast"}, "backoff must be"),
        ({"colour": "red"}, "job options are"),
    ],
)
def test_bad_options_raise_clear_errors_and_write_nothing(
    queue: Queue, r: redis.Redis, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidJobOption, match=message):
        queue.create({"x": 1}, **options)
    assert r.dbsize() == 0


def test_kue_priority_names() -> None:
    assert PRIORITIES == {"low": 10, "normal": 0, "medium": -5, "high": -10, "critical": -15}


def test_priority_order_and_fifo_beyond_nine(queue: Queue) -> None:
    for i in range(12):
        queue.add({"i": i})
    queue.add({"i": "urgent"}, priority="critical")
    queue.add({"i": "later"}, priority="low")
    queue.add({"i": "high"}, priority=-10)
    order = [j.data["i"] for j in queue.jobs("inactive")]
    assert order == ["urgent", "high", *range(12), "later"]


def test_missing_and_malformed_ids(queue: Queue) -> None:
    with pytest.raises(JobNotFound, match="job 7 of queue 'test' does not exist"):
        queue.get_job(7)
    for bad in ("abc", "1abc", "-1", True):
        with pytest.raises(JobNotFound, match="is not a job id"):
            queue.get_job(bad)  # type: ignore[arg-type]
    with pytest.raises(JobNotFound):
        queue.remove(99)


def test_remove_deletes_record_log_and_index(queue: Queue, r: redis.Redis) -> None:
    job = queue.add({"a": 1})
    job.log("hello %s", "world")
    assert job.logs() == ["hello world"]
    job.remove()
    assert queue.counts()["inactive"] == 0
    assert r.exists(queue.keys.log("1")) == 0
    with pytest.raises(JobNotFound):
        job.refresh()
    assert [e.name for e in queue.events.history("1")] == ["enqueue", "remove"]


def test_delay_with_ms_timedelta_and_datetime(make_queue, clock: Any) -> None:  # type: ignore[no-untyped-def]
    q = make_queue(clock=clock)
    a = q.add("a", delay=500)
    b = q.add("b", delay=timedelta(seconds=2))
    when = datetime.fromtimestamp((clock.now + 3000) / 1000, tz=UTC)
    c = q.add("c", delay=when)
    assert {a.state, b.state, c.state} == {JobState.DELAYED}
    assert [j.data for j in q.jobs("delayed")] == ["a", "b", "c"]
    assert q.promote() == 0
    clock.advance(2000)
    assert q.promote() == 2
    assert [j.data for j in q.jobs("inactive")] == ["a", "b"]
    assert [e.name for e in q.events.history(a.id)] == ["enqueue", "promotion"]


def test_counts_ranges_and_order(queue: Queue) -> None:
    for i in range(5):
        queue.add(i)
    assert queue.counts() == {"inactive": 5, "active": 0, "complete": 0, "failed": 0, "delayed": 0}
    assert [j.data for j in queue.jobs("inactive", 1, 2)] == [1, 2]
    assert [j.data for j in queue.jobs("inactive", 0, 1, "desc")] == [4, 3]
    with pytest.raises(ValueError, match="unknown job state 'waiting'; states are inactive, active"):
        queue.jobs("waiting")
    with pytest.raises(ValueError, match="order must be"):
        queue.jobs("inactive", order="up")


def test_set_priority_moves_a_waiting_job(queue: Queue) -> None:
    for i in range(3):
        queue.add(i)
    job = queue.get_job(3)
    assert job.set_priority("critical") is JobState.INACTIVE
    assert [j.data for j in queue.jobs("inactive")] == [2, 0, 1]
    assert queue.get_job(3).priority == -15
    with pytest.raises(InvalidJobOption):
        queue.set_priority(3, "whenever")
    assert [(e.name, e.args) for e in queue.events.history("3")][-1] == ("move", ("inactive", "inactive", -15))


def test_move_and_requeue(queue: Queue) -> None:
    job = queue.add("x")
    assert queue.move(job.id or "", "failed") is JobState.FAILED
    assert queue.counts()["failed"] == 1
    assert job.requeue() is JobState.INACTIVE
    assert queue.counts() == {"inactive": 1, "active": 0, "complete": 0, "failed": 0, "delayed": 0}
    # other processes learn of moves from the event stream, as of every other change
    moves = [e.args for e in queue.events.history(job.id) if e.name == "move"]
    assert moves == [("inactive", "failed", 0), ("failed", "inactive", 0)]
    with pytest.raises(InvalidTransition, match="only a worker"):
        queue.move(1, "active")
    with pytest.raises(JobNotFound):
        queue.requeue(42)


def test_saving_twice_is_refused(queue: Queue) -> None:
    job = queue.add(1)
    with pytest.raises(InvalidTransition, match="already saved"):
        job.save()


def test_create_bulk_one_round_trip_per_chunk(queue: Queue) -> None:
    from queuesim.drivers import RecordingDriver

    queue.driver = RecordingDriver(queue.client)
    queue.add("first")  # registration and policy check happen once, before this
    queue.driver.steps.clear()
    jobs = queue.create_bulk([{"i": i} for i in range(2500)] + [("special", {"priority": "high"})])
    assert queue.driver.commands() == ["EVALSHA enqueue"] * 3
    assert [j.id for j in jobs[:2]] == ["2", "3"]
    assert jobs[-1].id == "2502"
    assert queue.jobs("inactive", 0, 0)[0].data == "special"
    assert queue.counts()["inactive"] == 2502


def test_create_bulk_validates_everything_first(queue: Queue, r: redis.Redis) -> None:
    with pytest.raises(TypeError):
        queue.create_bulk([1, 2, object()])
    assert r.dbsize() == 0


def test_names_and_stats(make_queue) -> None:  # type: ignore[no-untyped-def]
    make_queue("email").add(1)
    make_queue("sms").add(2)
    assert make_queue("email").names() == ["email", "sms"]
    stats = make_queue("email").stats()
    assert (stats["inactive"], stats["completed_total"]) == (1, 0)


def test_invariant_checker_finds_drift(queue: Queue, r: redis.Redis) -> None:
    queue.add(1)
    r.zadd(queue.keys.failed, {"1": 0})
    r.zadd(queue.keys.complete, {"9": 0})
    problems = check_invariants(r, queue.keys)
    assert any("job 1" in p and "2 indexes" in p for p in problems)
    assert any("id 9" in p for p in problems)
    r.zrem(queue.keys.failed, "1")
    r.zrem(queue.keys.complete, "9")


def test_queue_name_validation(r: redis.Redis) -> None:
    with pytest.raises(ValueError, match="queue name"):
        Queue("a{b}", redis=r)
    with pytest.raises(TypeError):
        Queue(3, redis=r)  # type: ignore[arg-type]
    for name in ("a\x00b", "tab\there", "esc\x1b", "del\x7f", "c1\x85"):
        with pytest.raises(ValueError, match="must not contain control characters"):
            Queue(name, redis=r)
    assert Queue("émails ✓", redis=r).name == "émails ✓"  # other characters are fine
    assert r.keys("*") == []  # nothing was written for the refused names


def test_eviction_policy_warning(caplog: pytest.LogCaptureFixture) -> None:
    class PolicyOnly:
        def execute_command(self, *args: str) -> list[str]:
            assert args == ("CONFIG", "GET", "maxmemory-policy")
            return ["maxmemory-policy", "allkeys-lru"]

    queue = Queue("x", redis=PolicyOnly())  # type: ignore[arg-type]
    with caplog.at_level("WARNING", logger="queuesim.queue"):
        assert queue.check_eviction_policy() == "allkeys-lru"
        queue.check_eviction_policy()
    assert [r.message.count("noeviction") for r in caplog.records] == [1]


def test_noeviction_server_gives_no_warning(queue: Queue, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="queuesim.queue"):
        queue.add(1)
    assert not [r for r in caplog.records if "maxmemory" in r.message]


def test_close_after_an_interrupted_listener_start(queue: Queue) -> None:
    """A signal can interrupt Thread.start() in on(); closing the queue afterwards must not raise."""
    job = queue.add(1)
    job.on("complete", lambda result: None)
    queue.close()
    queue.events._thread = threading.Thread(target=lambda: None)  # as left by an interrupted start()
    queue.close()
    assert queue.events._thread is None
    job.on("complete", lambda result: None)  # listening again starts a new listener
    assert "listening" in repr(queue.events)
    queue.close()
