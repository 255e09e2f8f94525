"""The redis-py API through the simulated clients: replies, pipelines, WATCH, scripts, one connection each."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import redis

from queuesim.race import Load, OrderedScheduler, RaceError, run, run_with, sleep
from queuesim.race.client import Bridge, ClientGreenlet
from queuesim.race.stores import Stores

BACKENDS = ["fast", "fakeredis"]


def _run(target: Any, backend: str, clients: int = 1, blocks: list[tuple[int, int]] | None = None, **load: Any) -> Any:
    spec = Load(target, clients=clients, backend=backend, **load)
    return run_with(spec, OrderedScheduler(spec, blocks or []))


@pytest.mark.parametrize("backend", BACKENDS)
def test_replies_are_what_redis_py_returns(backend: str) -> None:
    def target(r: redis.Redis, i: int) -> list[Any]:
        return [
            r.set("k", 5), r.get("k"), r.incr("k"), r.hset("h", mapping={"a": 1, "b": 2}), r.hgetall("h"),
            r.exists("k", "nope"), r.get("nope"), r.rpush("l", 1, 2), r.lrange("l", 0, -1), r.ttl("k"),
        ]

    result = _run(target, backend)
    assert result.results[0] == [True, "5", 6, 2, {"a": "1", "b": "2"}, 1, None, 2, ["1", "2"], -1]
    assert [e.command for e in result.trace][:3] == ["SET k 5", "GET k", "INCRBY k 1"]
    assert len(result.trace) == 10  # one round trip per command


@pytest.mark.parametrize("backend", BACKENDS)
def test_bytes_when_decode_responses_is_false(backend: str) -> None:
    result = _run(lambda r, i: (r.set("k", "v"), r.get("k")), backend, decode_responses=False)
    assert result.results[0] == (True, b"v")


@pytest.mark.parametrize("backend", BACKENDS)
def test_server_errors_are_raised_in_the_client_as_redis_py_raises_them(backend: str) -> None:
    def target(r: redis.Redis, i: int) -> str:
        r.set("k", "text")
        try:
            r.incr("k")
        except redis.ResponseError as exc:
            return str(exc)
        return "no error"

    result = _run(target, backend)
    assert "not an integer" in result.results[0]
    assert not result.trace[1].ok
    assert isinstance(result.trace[1].reply, redis.ResponseError)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("transaction", [True, False])
def test_a_pipeline_is_one_round_trip(backend: str, transaction: bool) -> None:
    def target(r: redis.Redis, i: int) -> list[Any]:
        pipe = r.pipeline(transaction=transaction)
        pipe.set("a", 1).incr("a").get("a")
        return pipe.execute()  # type: ignore[no-any-return]

    result = _run(target, backend)
    assert result.results[0] == [True, 2, "2"]
    [entry] = result.trace
    if transaction:
        assert entry.kind == "transaction"
        assert entry.command == "MULTI; SET a 1; INCRBY a 1; GET a; EXEC"
    else:
        assert entry.kind == "pipeline"
        assert entry.command == "[SET a 1; INCRBY a 1; GET a]"


def _watch_then_write(r: redis.Redis, i: int) -> str:
    """Client 0 watches and reads; client 1 writes; client 0's EXEC must abort (schedule below)."""
    with r.pipeline() as pipe:
        if i == 1:
            r.set("k", "changed")
            return "wrote"
        pipe.watch("k")
        value = pipe.get("k")
        pipe.multi()
        pipe.set("k", f"{value}+1")
        try:
            pipe.execute()
        except redis.WatchError:
            return "aborted"
        return "committed"


@pytest.mark.parametrize("backend", BACKENDS)
def test_watch_aborts_exec_when_another_client_wrote_in_between(backend: str) -> None:
    setup = lambda r: r.set("k", "v")  # noqa: E731
    raced = _run(_watch_then_write, backend, clients=2, blocks=[(0, 2), (1, 1)], setup=setup)
    assert raced.results == ["aborted", "wrote"]
    assert [e.command for e in raced.trace] == ["WATCH k", "GET k", "SET k changed", "MULTI; SET k v+1; EXEC"]
    assert raced.trace[-1].reply_text.startswith("WatchError")
    alone = _run(_watch_then_write, backend, clients=2, setup=setup)  # one after the other: nothing in between
    assert alone.results == ["committed", "wrote"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_client_has_its_own_connection_for_watch(backend: str) -> None:
    def target(r: redis.Redis, i: int) -> Any:
        if i == 0:
            r.watch("k")  # client 0 watches on its own connection ...
            return None
        r.set("k", "x")  # ... and client 1's MULTI/EXEC is not affected by it
        pipe = r.pipeline()
        pipe.set("k", "y")
        return pipe.execute()

    result = _run(target, backend, clients=2, blocks=[(0, 1)])
    assert result.results[1] == [True]


@pytest.mark.parametrize("backend", BACKENDS)
def test_register_script_falls_back_on_noscript_as_redis_py_does(backend: str) -> None:
    source = "return redis.call('INCRBY', KEYS[1], ARGV[1])"

    def target(r: redis.Redis, i: int) -> Any:
        script = r.register_script(source)
        return script(keys=["n"], args=[2]), script(keys=["n"], args=[3])

    result = _run(target, backend)
    assert result.results[0] == (2, 5)
    sha = result.trace[0].commands[0][1]
    assert [e.commands[0][:2] for e in result.trace] == [
        ("EVALSHA", sha), ("SCRIPT LOAD", source), ("EVALSHA", sha), ("EVALSHA", sha)
    ]
    assert result.trace[0].reply_text.startswith("NoScriptError")


@pytest.mark.parametrize("backend", BACKENDS)
def test_eval_and_scripts_in_a_pipeline(backend: str) -> None:
    source = "return redis.call('INCR', KEYS[1])"

    def target(r: redis.Redis, i: int) -> Any:
        first = r.eval(source, 1, "n")
        script = r.register_script(source)
        pipe = r.pipeline()
        script(keys=["n"], client=pipe)
        script(keys=["n"], client=pipe)
        return first, pipe.execute()

    result = _run(target, backend)
    assert result.results[0] == (1, [2, 3])
    # SCRIPT EXISTS before the transaction (its own round trip, as redis-py sends it): the script is cached already
    assert [e.command.split()[0] for e in result.trace] == ["EVAL", "SCRIPT", "MULTI;"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_transaction_helper_retries_on_watch_error(backend: str) -> None:
    def target(r: redis.Redis, i: int) -> Any:
        def take(pipe: Any) -> None:
            left = int(pipe.get("stock"))
            pipe.multi()
            pipe.set("stock", left - 1)

        return r.transaction(take, "stock")

    spec = Load(target, clients=2, backend=backend, setup=lambda r: r.set("stock", 4))
    # client 0 watches and reads, client 1 does it all, client 0's EXEC aborts and it tries again
    result = run_with(spec, OrderedScheduler(spec, [(0, 2), (1, 3)]))
    assert result.results == [[True], [True]]
    assert sum(e.reply_text.startswith("WatchError") for e in result.trace) == 1
    assert int(result.trace[-1].commands[1][2]) == 2  # the retry read 3 and wrote 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_sleep_lets_virtual_time_pass(backend: str) -> None:
    def target(r: redis.Redis, i: int) -> None:
        r.get("k")
        sleep(0.25)
        r.get("k")

    result = _run(target, backend, rtt_ms=2.0)
    first, second = result.trace
    assert first.at == pytest.approx(0.001)
    assert second.sent == pytest.approx(0.002 + 0.25)
    assert second.at == pytest.approx(0.253)


def test_sleep_outside_a_simulation_is_a_real_sleep() -> None:
    sleep(0)  # returns; a negative time is refused
    with pytest.raises(ValueError, match="seconds"):
        sleep(-1)


def test_a_bridge_outside_its_greenlet_runs_calls_directly() -> None:
    bridge = Bridge(3)
    assert bridge.call("command", (("GET", "k"),), lambda x: x * 2, 21) == 42
    g = ClientGreenlet(lambda: bridge.call("command", (("GET", "k"),), lambda: "direct"), bridge)
    bridge.open = False
    assert g.switch() == "direct"


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_dependent_commands_follow_virtual_time(backend: str) -> None:
    def target(r: redis.Redis, i: int) -> Any:
        r.set("lease", "x", px=5)
        sleep(0.004)
        before = r.get("lease")
        sleep(0.002)
        return before, r.get("lease")

    result = run(Load(target, clients=1, backend=backend, rtt_ms=0.0))
    assert result.results[0] == ("x", None)  # expired at exactly 5 ms of virtual time


def test_a_command_the_store_lacks_is_refused_with_client_command_and_seed() -> None:
    def target(r: redis.Redis, i: int) -> None:
        r.execute_command("NOSUCHCOMMAND", "x")

    with pytest.raises(RaceError, match=r"client 0 sent NOSUCHCOMMAND x: a command the simulated store \(fast\) "
                                        r"does not have \(schedule seed 7\); try the fakeredis backend"):
        run(Load(target, clients=2), seed=7, scheduler="random")


def test_a_blocking_command_is_refused() -> None:
    with pytest.raises(RaceError, match=r"client 0 sent BLPOP, which blocks.*schedule seed 1"):
        run(Load(lambda r, i: r.blpop(["q"], timeout=1), clients=1))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_pipelines_scripts_are_checked_and_loaded_in_the_order_they_were_queued(backend: str) -> None:
    # redis-py keeps them in a set, which iterates in the order of their ids (memory addresses, not the seed)
    sources = [f"return redis.call('INCRBY', KEYS[1], {n})" for n in range(1, 6)]
    shas = [hashlib.sha1(source.encode()).hexdigest() for source in sources]

    def target(r: redis.Redis, i: int) -> Any:
        pipe = r.pipeline()
        for source in sources:
            r.register_script(source)(keys=["n"], client=pipe)
        return pipe.execute()

    for _ in range(8):
        result = _run(target, backend)
        assert result.results[0] == [1, 3, 6, 10, 15]
        exists, *loads, transaction = result.trace
        assert exists.commands == (("SCRIPT EXISTS", *shas),)
        assert [entry.commands for entry in loads] == [(("SCRIPT LOAD", source),) for source in sources]
        assert transaction.kind == "transaction"


@pytest.mark.parametrize("backend", BACKENDS)
def test_math_random_in_a_script_starts_from_the_same_state_in_every_run(backend: str) -> None:
    # the fast backend reuses one Lua state for a finder's runs: its math.random went on from the previous run,
    # so a schedule of a finder and the same seed replayed alone drew other numbers
    def target(r: redis.Redis, i: int) -> Any:
        return r.eval("return {math.random(1000000), math.random(1000000)}", 0)

    stores = Stores(backend)
    draws = [run(Load(target, clients=2, backend=backend), seed=4, stores=stores).results for _ in range(3)]
    assert draws[0] == draws[1] == draws[2]
    assert draws[0] == run(Load(target, clients=2, backend=backend), seed=4).results


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_sleep_in_a_client_is_virtual_think_time(backend: str) -> None:
    # a learner waits with time.sleep, and so do redis-py's Lock and queuesim's sync driver (a Pause)
    import time

    def target(r: redis.Redis, i: int) -> Any:
        r.get("k")
        time.sleep(0.2)
        with r.lock("lock", sleep=0.05):
            r.incr("n")
        return r.get("n")

    result = _run(target, backend, clients=2, rtt_ms=2.0)
    first = result.trace[0]
    second = next(e for e in result.trace if e.client == first.client and e is not first)
    assert second.sent == pytest.approx(0.002 + 0.2)  # 0.2 s of virtual time passed, for this client only
    assert sorted(result.results) == ["1", "2"]
    assert time.sleep.__module__ == "time"  # given back after the run


async def _async_waits(r: Any, i: int) -> Any:
    import asyncio

    await r.get("k")
    await asyncio.sleep(0.2)
    return await r.incr("n")


def test_asyncio_sleep_in_an_async_client_is_virtual_think_time() -> None:
    result = run(Load(_async_waits, clients=1, rtt_ms=2.0, delay="det"))
    _, second = result.trace
    assert second.sent == pytest.approx(0.002 + 0.2)
    assert result.results == [1]


def test_a_command_the_store_lacks_inside_a_script_is_refused_too() -> None:
    # before: the script's error came back to the target as its ResponseError, as if Redis lacked OBJECT
    def target(r: redis.Redis, i: int) -> Any:
        return r.eval("return redis.call('OBJECT', 'ENCODING', KEYS[1])", 1, "k")

    with pytest.raises(RaceError, match=r"client 0 sent EVAL .* 1 k: a command its script calls the simulated "
                                        r"store \(fast\) does not have \(schedule seed 2\); try the fakeredis"):
        run(Load(target, clients=1, setup=lambda r: r.set("k", 1)), seed=2, scheduler="random")
