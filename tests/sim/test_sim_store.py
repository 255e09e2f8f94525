"""SimStore: key expiry follows the simulation clock, not the wall clock."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import redis
import simpy

from queuesim.drivers import Batch, Conversation, SyncDriver
from queuesim.scripts import Script
from queuesim.sim.clock import SimClock
from queuesim.sim.store import SimStore


def test_ttl_expires_at_the_simulated_instant() -> None:
    env = simpy.Environment()
    store = SimStore(SimClock(env).time)
    r = store.client()
    seen: list[tuple[float, Any, Any]] = []

    def proc() -> Generator[Any, Any, None]:
        r.set("hold", "alice", px=100)
        for t in (0.05, 0.0999, 0.1001):
            yield env.timeout(t - env.now)
            seen.append((env.now, r.get("hold"), r.pttl("hold")))

    env.process(proc())
    env.run()
    assert seen[0][1:] == ("alice", 50)
    assert seen[1][1] == "alice"
    assert seen[2][1:] == (None, -2)


def test_an_hour_of_simulated_time_passes_instantly() -> None:
    env = simpy.Environment()
    r = SimStore(SimClock(env).time).client()
    r.set("session", "x", ex=60)
    r.set("forever", "y")
    env.run(until=3600)
    assert r.get("session") is None
    assert r.get("forever") == "y"


def test_clients_of_one_store_share_data_and_stores_are_separate() -> None:
    store = SimStore(lambda: 0.0)
    a, b = store.client(), store.client()
    a.set("k", "v")
    assert b.get("k") == "v"
    assert SimStore(lambda: 0.0).client().get("k") is None
    assert store.client(decode_responses=False).get("k") == b"v"


def test_store_time_is_the_clock() -> None:
    now = [12.5]
    r = SimStore(lambda: now[0]).client()
    r.set("k", "v", px=1000)
    now[0] = 13.0
    assert r.pttl("k") == 500
    now[0] = 13.6
    assert r.exists("k") == 0


def test_clock_must_be_callable() -> None:
    with pytest.raises(TypeError, match="clock must be a callable"):
        SimStore(3.0)  # type: ignore[arg-type]


def test_sim_clock_reads_env_time() -> None:
    env = simpy.Environment(initial_time=1.005)
    clock = SimClock(env)
    assert clock.time() == 1.005
    assert clock.now_ms() == 1005  # 1.005 * 1000 is 1004.9999999999999 in floats
    env2 = simpy.Environment(initial_time=0.0017)
    assert SimClock(env2).now_ms() == 1
    assert SimClock(simpy.Environment(initial_time=-0.0015)).now_ms() == -2  # floor, below zero too


# --- the direct (faster) connection ---------------------------------------------------------------

INCR = Script.from_source("incr_one", "return redis.call('INCR', KEYS[1])\n")


def every_kind_of_reply() -> Conversation[list[Any]]:
    out: list[Any] = []
    for step in (
        ("SET", "s", "v"),
        ("SET", "s", "w", "NX"),
        ("SET", "f", 0.1),
        ("GET", "f"),
        ("HSET", "h", "a", 1, "b", 2),
        ("HGETALL", "h"),
        ("ZADD", "z", 1.5, "x", 2, "y"),
        ("ZSCORE", "z", "x"),
        ("RPUSH", "l", "x", "y"),
        ("LRANGE", "l", 0, -1),
        ("SMEMBERS", "nothing"),
        ("SET", "t", "x", "PX", 1500),
        ("PTTL", "t"),
        ("EXISTS", "s", "h", "nope"),
        INCR(["n"]),
        Batch.of([("INCR", "n"), INCR(["n"]), ("GET", "n")], atomic=True),
        Batch.of([("GET", "n"), ("HGETALL", "h")]),
        ("INCR", "s"),
        ("EVALSHA", "0" * 40, 0),
        ("NOSUCHCOMMAND",),
    ):
        try:
            out.append((yield step))
        except redis.RedisError as exc:
            out.append(f"{type(exc).__name__}: {exc}")
    return out


@pytest.mark.parametrize("decode", [True, False])
def test_direct_client_replies_exactly_like_the_standard_one(decode: bool) -> None:
    results = []
    for direct in (False, True):
        client = SimStore(lambda: 0.0).client(direct=direct, decode_responses=decode)
        results.append(SyncDriver(client).run(every_kind_of_reply()))
        client.close()
    assert results[0] == results[1]
    standard = results[0]
    assert standard[5] == ({"a": "1", "b": "2"} if decode else {b"a": b"1", b"b": b"2"})
    assert standard[1] is None  # SET NX on an existing key
    assert standard[-3].startswith("ResponseError")
    assert standard[-2].startswith("NoScriptError")


def test_direct_client_keeps_watch_on_its_own_connection() -> None:
    store = SimStore(lambda: 0.0)
    mine, other = store.client(direct=True), store.client(direct=True)
    mine.set("k", 1)
    mine.execute_command("WATCH", "k")
    other.set("k", 2)  # another connection changes the watched key
    pipe = mine.pipeline(transaction=True)
    pipe.execute_command("SET", "k", 3)
    with pytest.raises(redis.WatchError):
        pipe.execute()
    assert mine.get("k") == "2"
    mine.execute_command("WATCH", "k")  # unchanged this time: the transaction goes through
    pipe = mine.pipeline(transaction=True)
    pipe.execute_command("SET", "k", 4)
    assert pipe.execute() == [True]
    assert other.get("k") == "4"


def test_direct_client_expires_keys_in_simulated_time() -> None:
    env = simpy.Environment()
    r = SimStore(SimClock(env).time).client(direct=True)
    r.set("k", "v", px=10)
    env.run(until=0.011)
    assert r.get("k") is None


def test_direct_client_reports_a_missing_reply_rather_than_hanging() -> None:
    r = SimStore(lambda: 0.0).client(direct=True)
    with pytest.raises(RuntimeError, match="'CLIENT' sent no reply"):
        r.execute_command("CLIENT", "REPLY", "OFF")
