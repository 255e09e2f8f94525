"""ScriptLane: script steps straight into the Lua state give exactly what SyncDriver gives through redis-py."""

from __future__ import annotations

from typing import Any

import pytest
import redis
import simpy

from queuesim.drivers import Batch, Pause, SyncDriver
from queuesim.queue import conversations as conv
from queuesim.queue.keys import QueueKeys
from queuesim.queue.record import DEFAULT_FIELDS
from queuesim.scripts import Script
from queuesim.sim.clock import SimClock
from queuesim.sim.driver import SimDriver
from queuesim.sim.fast_store import FastStore
from queuesim.sim.fast_store.lane import ScriptLane

ECHO = Script.from_source("echo", "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1, redis.call('INCR', KEYS[1])}")
BOOM = Script.from_source("boom", "return redis.error_reply('BOOM it broke')")
NOTHING = Script.from_source("nothing", "return nil")


def _pair() -> tuple[SyncDriver, ScriptLane]:
    """A SyncDriver and a ScriptLane on twin stores (each its own FastStore, same clock)."""
    now = [1000.0]
    sync = SyncDriver(FastStore(lambda: now[0]).client())
    lane = ScriptLane(FastStore(lambda: now[0]).client())
    return sync, lane


def _outcome(run: Any) -> Any:
    try:
        return ("ok", run())
    except redis.ResponseError as exc:
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize(
    "step",
    [
        ECHO(["k"], ["a", 41]),
        NOTHING([], []),
        BOOM([], []),
        Batch.of([ECHO(["k"], ["a", 1]), ECHO(["k"], ["b", 2.5])]),
        Batch.of([ECHO(["k"], ["a", 1]), BOOM([], []), ECHO(["k"], ["c", 3])]),
    ],
    ids=["script", "nil-reply", "error-reply", "batch", "batch-with-error"],
)
def test_same_reply_or_error_as_sync_driver(step: Any) -> None:
    sync, lane = _pair()
    assert lane.accepts(step)
    for _ in range(2):  # the second time, scripts are cached (EVALSHA hits)
        assert _outcome(lambda: lane.execute(step)) == _outcome(lambda: sync.execute(step))
    # and the keyspaces agree afterwards (a failing step in a batch does not stop the others)
    assert lane._store.run(1, ("GET", "k")) == sync.client.get("k")


def test_queue_conversations_give_the_same_results() -> None:
    sync, lane = _pair()
    keys = QueueKeys("q")

    def run(driver: Any, conversation: Any) -> Any:
        step = next(conversation)
        try:
            while True:
                step = conversation.send(driver.execute(step))
        except StopIteration as stop:
            return stop.value

    for i in range(5):
        ms = 1_000_000 + i
        assert run(lane, conv.enqueue(keys, 100, ms, [(str(i), DEFAULT_FIELDS)])) == \
            run(sync, conv.enqueue(keys, 100, ms, [(str(i), DEFAULT_FIELDS)]))
    fetch = dict(lease_ms=1000, token_prefix="w", stall_interval_ms=500, max_stalls=1)
    got = run(lane, conv.fetch(keys, 100, 1_000_010, 2, **fetch))
    assert got == run(sync, conv.fetch(keys, 100, 1_000_010, 2, **fetch))
    outcomes = [conv.Outcome(j.id, j.token, "complete") for j in got.jobs]
    assert run(lane, conv.fetch_and_finish(keys, 100, 1_000_020, outcomes, 2, **fetch)) == \
        run(sync, conv.fetch_and_finish(keys, 100, 1_000_020, outcomes, 2, **fetch))


def test_flushed_scripts_are_sent_again() -> None:
    _, lane = _pair()
    assert lane.execute(ECHO(["k"], ["a", 1]))[3] == 1
    lane._store.run(1, ("SCRIPT", "FLUSH"))
    assert lane.execute(ECHO(["k"], ["a", 1]))[3] == 2  # NOSCRIPT, then EVAL
    batch = Batch.of([ECHO(["k"], ["a", 1]), ECHO(["k"], ["a", 1])])
    assert [r[3] for r in lane.execute(batch)] == [3, 4]  # loaded before the batch
    lane._store.run(1, ("SCRIPT", "FLUSH"))
    assert [r[3] for r in lane.execute(batch)] == [5, 6]  # NOSCRIPT inside the batch: run again alone


def test_script_gives_errors_back_and_runs_a_failing_script_once() -> None:
    """The driver's short path: (False, error) instead of a raise, and no second run of a script
    whose reply is an error (its writes before the error stay, once)."""
    incr_then_fail = Script.from_source("incr_then_fail",
                                        "redis.call('INCR', KEYS[1]) return redis.error_reply('ERR no')")
    sync, lane = _pair()
    ok, error = lane.script(incr_then_fail(["k"], []))
    assert not ok
    assert _outcome(lambda: sync.execute(incr_then_fail(["k"], []))) == ("error", type(error).__name__, str(error))
    assert lane._store.run(1, ("GET", "k")) == "1"
    assert lane.script(ECHO(["k"], ["a", 41])) == (True, ["k", "a", 42, 2])
    lane._store.run(1, ("SCRIPT", "FLUSH"))
    assert lane.script(ECHO(["k"], ["a", 1])) == (True, ["k", "a", 2, 3])  # NOSCRIPT, then EVAL
    with pytest.raises(redis.DataError, match="bool"):
        lane.script(ECHO(["k"], ["a", True]))  # as redis-py refuses it


def test_the_driver_hands_script_errors_to_the_conversation() -> None:
    env = simpy.Environment()
    driver = SimDriver(env, FastStore(SimClock(env).time).client())

    def conversation() -> Any:
        try:
            yield ECHO(["k"], ["a", True])
        except redis.DataError as exc:
            caught.append(str(exc))
        return (yield ECHO(["k"], ["a", 1]))

    caught: list[str] = []
    process = env.process(driver.run(conversation()))
    env.run()
    assert process.value == ["k", "a", 2, 1]
    assert "bool" in caught[0]
    assert (driver.stats.round_trips, driver.stats.scripts, driver.stats.errors) == (2, 2, 1)


@pytest.mark.parametrize(
    "step",
    [("GET", "k"), Pause(0.1), Batch.of([ECHO(["k"], ["a", 1])], atomic=True), Batch.of([("GET", "k")]),
     Batch.of([])],
    ids=["command", "pause", "atomic-batch", "batch-with-command", "empty-batch"],
)
def test_other_steps_keep_the_ordinary_path(step: Any) -> None:
    _, lane = _pair()
    assert not lane.accepts(step)


def test_a_client_with_its_own_callbacks_keeps_the_ordinary_path() -> None:
    env = simpy.Environment()
    client = FastStore(SimClock(env).time).client()
    client.set_response_callback("EVALSHA", lambda reply, **options: ("seen", reply))
    driver = SimDriver(env, client)
    result: list[Any] = []

    def run() -> Any:
        for _ in range(2):
            result.append((yield from driver.execute(NOTHING([], []))))

    env.process(run())
    env.run()
    assert result == [None, ("seen", None)]  # the first call is an EVAL (NOSCRIPT), then EVALSHA


def test_needs_decoded_responses() -> None:
    with pytest.raises(ValueError, match="decode_responses"):
        ScriptLane(FastStore().client(decode_responses=False))
