"""The SimPy driver runs real conversations in virtual time: races appear exactly where they would live."""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import pytest
import redis
import simpy

from queuesim.drivers import Batch, Conversation, SyncDriver
from queuesim.scripts import Script
from queuesim.sim.distributions import Deterministic, Exponential
from queuesim.sim.driver import DriverStats, SimDriver
from queuesim.sim.network import Network
from queuesim.sim.server import Server, step_commands
from queuesim.sim.store import SimStore
from queuesim.sim.streams import RandomStreams

ClientFactory = Callable[[], redis.Redis]

INCR = Script.from_source("incr_one", "return redis.call('INCR', KEYS[1])\n")
ADD = Script.from_source("add", "return redis.call('INCRBY', KEYS[1], ARGV[1])\n")


def naive_incr(key: str) -> Conversation[int]:
    """The racy read-modify-write: another client may write between the GET and the SET."""
    value = int((yield ("GET", key)) or 0)
    yield ("SET", key, value + 1)
    return value + 1


def atomic_incr(key: str) -> Conversation[int]:
    return int((yield INCR([key])))


def watch_incr(key: str) -> Conversation[int]:
    """Optimistic locking: returns how many times it had to retry."""
    retries = 0
    while True:
        yield ("WATCH", key)
        value = int((yield ("GET", key)) or 0)
        try:
            yield Batch.of([("SET", key, value + 1)], atomic=True)
        except redis.WatchError:
            retries += 1
            continue
        return retries


def two_at_once(
    env: simpy.Environment, driver: SimDriver, conv: Callable[[str], Conversation[int]]
) -> list[int]:
    results: list[int] = []

    def client() -> Generator[Any, Any, None]:
        results.append((yield from driver.run(conv("counter"))))

    env.process(client())
    env.process(client())
    env.run()
    return results


def test_naive_read_then_write_loses_an_update_with_latency(r: redis.Redis) -> None:
    env = simpy.Environment()
    driver = SimDriver(env, r, network=Network.deterministic(0.002))
    assert two_at_once(env, driver, naive_incr) == [1, 1]  # both read 0
    assert r.get("counter") == "1"
    assert env.now == pytest.approx(0.004)


def test_lua_script_does_not_lose_the_update(r: redis.Redis) -> None:
    env = simpy.Environment()
    driver = SimDriver(env, r, network=Network.deterministic(0.002))
    assert sorted(two_at_once(env, driver, atomic_incr)) == [1, 2]
    assert r.get("counter") == "2"


def test_zero_latency_never_interleaves(r: redis.Redis) -> None:
    env = simpy.Environment()
    driver = SimDriver(env, r, network=Network.zero())
    results: list[int] = []

    def client() -> Generator[Any, Any, None]:
        results.append((yield from driver.run(naive_incr("counter"))))

    for _ in range(10):
        env.process(client())
    env.run()
    assert results == list(range(1, 11))
    assert r.get("counter") == "10"
    assert env.now == 0


def flash_crowd(
    factory: ClientFactory,
    conv: Callable[[str], Conversation[int]],
    seed: int,
    *,
    buyers: int = 60,
    rate: float = 500.0,
    rtt: float = 0.004,
    own_connection: bool = False,
) -> tuple[int, list[tuple[int, int, float]], DriverStats]:
    """Poisson arrivals of buyers, each running ``conv`` once; exponential network delays."""
    env = simpy.Environment()
    streams = RandomStreams(seed)
    network = Network.exponential(rtt, streams["network"])
    shared = SimDriver(env, factory(), network=network)
    totals = DriverStats()
    log: list[tuple[int, int, float]] = []

    def buyer(i: int) -> Generator[Any, Any, None]:
        driver = SimDriver(env, factory(), network=network) if own_connection else shared
        log.append((i, (yield from driver.run(conv("counter"))), env.now))
        if own_connection:
            totals.round_trips += driver.stats.round_trips

    def arrivals() -> Generator[Any, Any, None]:
        for i in range(buyers):
            yield env.timeout(streams["arrivals"].exponential(1 / rate))
            env.process(buyer(i))

    env.process(arrivals())
    env.run()
    final = int(shared.store.get("counter") or 0)
    if not own_connection:
        totals = shared.stats
    return final, log, totals


def test_naive_loses_updates_under_load_and_atomic_does_not(redis_factory: ClientFactory) -> None:
    naive, _, _ = flash_crowd(redis_factory, naive_incr, seed=1)
    assert naive < 60 - 10  # λ·RTT = 2: many requests land inside each read-write window
    redis_factory().delete("counter")
    atomic, log, stats = flash_crowd(redis_factory, atomic_incr, seed=1)
    assert atomic == 60
    assert sorted(v for _, v, _ in log) == list(range(1, 61))
    assert stats.round_trips == 60
    assert stats.scripts == 60


def test_watch_retries_and_never_loses_an_update(redis_factory: ClientFactory) -> None:
    final, log, stats = flash_crowd(redis_factory, watch_incr, seed=1, own_connection=True)
    assert final == 60
    retries = sum(v for _, v, _ in log)
    assert retries > 0
    assert stats.round_trips == 3 * (60 + retries)


def test_same_seed_same_run(redis_factory: ClientFactory) -> None:
    first = flash_crowd(redis_factory, naive_incr, seed=7)
    redis_factory().delete("counter")
    second = flash_crowd(redis_factory, naive_incr, seed=7)
    assert first == second
    redis_factory().delete("counter")
    assert flash_crowd(redis_factory, naive_incr, seed=8)[1] != first[1]


def test_steps_apply_in_arrival_order(redis_factory: ClientFactory) -> None:
    env = simpy.Environment()
    slow = SimDriver(env, redis_factory(), network=Network.deterministic(0.010))
    fast = SimDriver(env, redis_factory(), network=Network.deterministic(0.002))
    trace: list[tuple[str, float, Any]] = []

    def writer(name: str, driver: SimDriver) -> Conversation[None]:
        for step in (("SET", "k", name), ("GET", "k")):
            reply = yield step
            trace.append((name, env.now, reply))

    def run(name: str, driver: SimDriver) -> Generator[Any, Any, None]:
        yield from driver.run(writer(name, driver))

    env.process(run("slow", slow))
    env.process(run("fast", fast))
    env.run()
    # fast: SET applied at 1 ms, GET at 3 ms; slow: SET applied at 5 ms, GET at 15 ms
    assert trace == [
        ("fast", pytest.approx(0.002), True),
        ("fast", pytest.approx(0.004), "fast"),
        ("slow", pytest.approx(0.010), True),
        ("slow", pytest.approx(0.020), "slow"),
    ]


def mixed() -> Conversation[list[Any]]:
    out: list[Any] = []
    out.append((yield ("SET", "s", "v")))
    out.append((yield ("HSET", "h", "a", 1, "b", 2)))
    out.append((yield ("HGETALL", "h")))
    out.append((yield ("RPUSH", "l", "x", "y")))
    out.append((yield ("LRANGE", "l", 0, -1)))
    out.append((yield Batch.of([("INCR", "n"), ("INCR", "n"), ADD(["n"], [5])], atomic=True)))
    out.append((yield Batch.of([("GET", "n"), ("EXISTS", "nope")])))
    out.append((yield ADD(["n"], [10])))
    try:
        yield ("INCR", "s")
    except redis.ResponseError as exc:
        out.append(f"error: {exc}")
    return out


def test_replies_are_exactly_the_live_drivers(r: redis.Redis) -> None:
    live = SyncDriver(r).run(mixed())
    r.flushdb()
    r.script_flush()
    env = simpy.Environment()
    driver = SimDriver(env, r, network=Network.deterministic(0.001))
    proc = env.process(driver.run(mixed()))
    env.run()
    assert proc.value == live
    assert live[2] == {"a": "1", "b": "2"}
    assert live[5] == [1, 2, 7]
    assert live[-1].startswith("error:")
    assert driver.stats == DriverStats(conversations=1, round_trips=9, commands=12, scripts=2, errors=1)
    assert env.now == pytest.approx(9 * 0.001)


def test_round_trips_and_commands_are_counted() -> None:
    env = simpy.Environment()
    driver = SimDriver(env, network=Network.deterministic(0.002))

    def conv() -> Conversation[str]:
        yield ("SET", "a", 1)
        yield ("GET", "a")
        yield Batch.of([("INCR", "a"), ("INCR", "a"), INCR(["a"])])
        yield INCR(["b"])
        return "done"

    proc = env.process(driver.run(conv()))
    env.run()
    assert proc.value == "done"
    assert driver.stats.to_dict() == {
        "conversations": 1,
        "round_trips": 4,
        "commands": 6,
        "scripts": 2,
        "errors": 0,
    }
    assert env.now == pytest.approx(0.008)


def test_a_conversation_without_steps_costs_nothing() -> None:
    def conv() -> Conversation[int]:
        return 42
        yield ("PING",)  # pragma: no cover - makes this a generator

    env = simpy.Environment()
    driver = SimDriver(env, network=Network.deterministic(1.0))
    proc = env.process(driver.run(conv()))
    env.run()
    assert proc.value == 42
    assert driver.stats.round_trips == 0
    assert env.now == 0


def test_execute_returns_the_reply_or_raises() -> None:
    env = simpy.Environment()
    driver = SimDriver(env, network=Network.deterministic(0.5))
    got: list[Any] = []

    def proc() -> Generator[Any, Any, None]:
        got.append((yield from driver.execute(("SET", "s", "text"))))
        try:
            yield from driver.execute(("INCR", "s"))
        except redis.ResponseError as exc:
            got.append(type(exc).__name__)

    env.process(proc())
    env.run()
    assert got == [True, "ResponseError"]
    assert env.now == pytest.approx(1.0)
    assert driver.stats.errors == 1


def test_an_error_the_conversation_does_not_handle_fails_the_process() -> None:
    def conv() -> Conversation[None]:
        yield ("SET", "s", "text")
        yield ("INCR", "s")

    env = simpy.Environment()
    env.process(SimDriver(env).run(conv()))
    with pytest.raises(redis.ResponseError, match="not an integer"):
        env.run()


def test_default_store_expires_keys_in_simulated_time() -> None:
    env = simpy.Environment()
    driver = SimDriver(env, network=Network.deterministic(0.010))
    seen: list[Any] = []

    def conv() -> Conversation[None]:
        yield ("SET", "hold", "x", "PX", 100)
        seen.append((yield ("GET", "hold")))  # applied at 15 ms

    def proc() -> Generator[Any, Any, None]:
        yield from driver.run(conv())
        yield env.timeout(0.1)
        seen.append((yield from driver.execute(("GET", "hold"))))  # applied at 125 ms

    env.process(proc())
    env.run()
    assert seen == ["x", None]
    assert driver.now_ms() == 130


def test_server_queues_commands_one_at_a_time(r: redis.Redis) -> None:
    env = simpy.Environment()
    server = Server(env, service_time=0.001)
    driver = SimDriver(env, r, server=server)
    done: list[tuple[str, float]] = []

    def client(name: str, step: Any) -> Generator[Any, Any, None]:
        yield from driver.execute(step)
        done.append((name, env.now))

    env.process(client("a", ("SET", "a", 1)))
    env.process(client("batch", Batch.of([("INCR", "n")] * 3)))
    env.process(client("c", ("GET", "a")))
    env.run()
    assert done == [("a", pytest.approx(0.001)), ("batch", pytest.approx(0.004)), ("c", pytest.approx(0.005))]
    assert (server.steps, server.commands) == (3, 5)
    assert server.busy_time == pytest.approx(0.005)
    assert server.utilization() == pytest.approx(1.0)


def test_server_off_means_no_queueing(r: redis.Redis) -> None:
    env = simpy.Environment()
    driver = SimDriver(env, r)
    for _ in range(3):
        env.process(driver.execute(("INCR", "n")))
    env.run()
    assert env.now == 0
    assert r.get("n") == "3"


def test_server_service_time_function() -> None:
    env = simpy.Environment()
    server = Server(env, service_time=lambda step: 0.5 if step_commands(step) > 1 else 0.1)
    assert server.cost(("GET", "k")) == 0.1
    assert server.cost(Batch.of([("GET", "k"), ("GET", "j")])) == 0.5
    assert server.utilization() == 0.0
    bad = Server(env, service_time=lambda step: -1.0)
    with pytest.raises(ValueError, match="must be ≥ 0"):
        bad.cost(("GET", "k"))
    with pytest.raises(ValueError, match="service_time"):
        Server(env, service_time=-0.1)


def test_network_models() -> None:
    stream = RandomStreams(3)["network"]
    net = Network.exponential(0.004, stream)
    delays = [net.one_way() for _ in range(20_000)]
    assert sum(delays) / len(delays) == pytest.approx(0.002, rel=0.03)
    assert net.rtt == pytest.approx(0.004)
    assert not net.is_zero
    assert Network.deterministic(0.004).one_way() == 0.002
    assert Network.zero().is_zero
    assert Network.exponential(0.0, stream).is_zero
    assert repr(Network.deterministic(0.004)) == "<Network Deterministic rtt=4ms>"
    assert Network(Deterministic(0.25)).rtt == 0.5
    with pytest.raises(ValueError, match="needs a stream"):
        Network(Exponential(0.001))
    with pytest.raises(ValueError, match="rtt"):
        Network.deterministic(-1.0)
    with pytest.raises(TypeError, match="Distribution"):
        Network(0.001)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "step",
    [
        ("BLPOP", "q", 0),
        ("brpoplpush", "a", "b", 1),
        ("XREAD", "BLOCK", 0, "STREAMS", "s", "$"),
        Batch.of([("GET", "k"), ("BZPOPMIN", "z", 0)]),
    ],
    ids=["BLPOP", "brpoplpush", "XREAD BLOCK", "batch"],
)
def test_blocking_commands_are_refused(step: Any) -> None:
    env = simpy.Environment()
    driver = SimDriver(env)

    def proc() -> Generator[Any, Any, None]:
        yield from driver.execute(step)

    env.process(proc())
    with pytest.raises(ValueError, match="blocks, which cannot run in a simulation"):
        env.run()


def test_non_blocking_stream_reads_are_allowed() -> None:
    env = simpy.Environment()
    driver = SimDriver(env)
    env.process(driver.execute(("XREAD", "COUNT", 1, "STREAMS", "s", "0")))
    env.run()
    assert driver.stats.errors == 0


@pytest.mark.parametrize("conv", [naive_incr, atomic_incr, watch_incr], ids=lambda c: c.__name__)
def test_direct_store_client_gives_the_same_run(conv: Callable[[str], Conversation[int]]) -> None:
    runs = []
    for direct in (False, True):
        factory = partial(SimStore(lambda: 0.0).client, direct=direct)
        runs.append(flash_crowd(factory, conv, seed=3, own_connection=True))
    assert runs[0] == runs[1]
