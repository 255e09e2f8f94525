"""The queue's conversations are importable and send exactly the steps the design says."""

from __future__ import annotations

import redis

from queuesim.drivers import RecordingDriver
from queuesim.queue import conversations as conv
from queuesim.queue.keys import QueueKeys
from queuesim.queue.options import JobOptions
from queuesim.queue.record import enqueue_fields

KEYS = QueueKeys("rec")


def test_each_state_change_is_one_script_call(r: redis.Redis) -> None:
    d = RecordingDriver(r)
    ids, _ = d.run(conv.enqueue(KEYS, 100, 1000, [('{"a":1}', enqueue_fields(JobOptions()))]))
    fetched = d.run(conv.fetch(KEYS, 100, 1001, 10, lease_ms=5000, token_prefix="w",
                               stall_interval_ms=1000, max_stalls=1))
    outcome = conv.Outcome(ids[0], fetched.jobs[0].token, "complete", '"ok"')
    assert d.run(conv.finish(KEYS, 100, 1002, [outcome])) == [True]
    d.run(conv.promote(KEYS, 100, 1003))
    d.run(conv.recover_stalled(KEYS, 100, 1004, stall_interval_ms=1000, max_stalls=1))
    assert d.commands() == ["EVALSHA enqueue", "EVALSHA claim", "EVALSHA finish", "EVALSHA claim",
                            "HDEL", "EVALSHA claim"]


def test_steady_state_worker_step_is_one_round_trip(r: redis.Redis) -> None:
    d = RecordingDriver(r)
    d.run(conv.enqueue(KEYS, 100, 1000, [(str(i), enqueue_fields(JobOptions())) for i in range(4)]))
    first = d.run(conv.fetch(KEYS, 100, 1001, 2, lease_ms=5000, token_prefix="w",
                             stall_interval_ms=1000, max_stalls=1))
    d.steps.clear()
    outcomes = [conv.Outcome(j.id, j.token, "complete", "null") for j in first.jobs]
    codes, fetched = d.run(conv.fetch_and_finish(KEYS, 100, 1002, outcomes, 2, lease_ms=5000, token_prefix="w",
                                                 stall_interval_ms=1000, max_stalls=1))
    assert codes == [True, True]
    assert [j.id for j in fetched.jobs] == ["3", "4"]
    assert d.commands() == ["PIPELINE"]  # finish + claim, sent together
    step = d.steps[0]
    assert [s.script.name for s in step.steps] == ["finish", "claim"]  # type: ignore[union-attr]


def test_every_script_declares_keys_of_one_slot(r: redis.Redis) -> None:
    d = RecordingDriver(r)
    d.run(conv.enqueue(KEYS, 100, 1000, [("1", enqueue_fields(JobOptions()))]))
    d.run(conv.fetch(KEYS, 100, 1001, 1, lease_ms=5000, token_prefix="w", stall_interval_ms=1000, max_stalls=1))
    d.run(conv.remove(KEYS, 100, "1"))
    for step in d.steps:
        keys = step.keys  # type: ignore[union-attr]
        assert keys
        assert all("{rec}" in k for k in keys)
