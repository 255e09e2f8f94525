"""FastStore as a redis-py client: connections, WATCH/MULTI/EXEC, pipelines, errors, the simulation, LuaJIT."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import fakeredis  # imported first on purpose: it loads Lua 5.1 with RTLD_GLOBAL
import pytest
import redis
import simpy
from diffkit import ManualClock, Store, assert_same, assert_same_data, outcome

from queuesim.drivers import Batch, Conversation, SyncDriver
from queuesim.scripts import Script
from queuesim.sim import Network, SimClock, SimDriver, SimStore
from queuesim.sim.fast_store import FastClient, FastStore

INCR = Script.from_source("incr_by", "return redis.call('INCRBY', KEYS[1], ARGV[1])")


def watch_and_set(client: redis.Redis, key: str, interfere: redis.Redis | None) -> Any:
    """WATCH, read, (another client writes), MULTI/SET/EXEC, the way the stock service's driver pins a connection."""
    pipe = client.pipeline(transaction=True)
    try:
        pipe.execute_command("WATCH", key)
        value = int(pipe.execute_command("GET", key) or 0)
        if interfere is not None:
            interfere.execute_command("INCR", key)
        pipe.multi()
        pipe.execute_command("SET", key, value + 10)
        pipe.execute_command("GET", key)
        return pipe.execute(raise_on_error=False)
    except redis.WatchError:
        return "WatchError"
    finally:
        pipe.reset()


@pytest.mark.parametrize("interfere", [False, True])
def test_watch_aborts_exec_when_another_connection_writes(stores: list[Store], interfere: bool) -> None:
    others = {s.name: s.client() for s in stores}
    results = {s.name: watch_and_set(s.clients[0], "k", others[s.name] if interfere else None) for s in stores}
    assert_same(results)
    assert results["fast"] == ("WatchError" if interfere else [True, "10"])
    assert_same({s.name: s.clients[0].execute_command("GET", "k") for s in stores})
    # the aborted transaction left no WATCH behind: the next one on a fresh pipeline goes through
    assert_same({s.name: watch_and_set(s.clients[0], "k", None) for s in stores})


def test_watch_on_one_connection_is_not_disturbed_by_reads(stores: list[Store]) -> None:
    others = {s.name: s.client() for s in stores}
    for s in stores:
        others[s.name].execute_command("GET", "k")
        others[s.name].execute_command("SET", "other", 1)
    assert_same({s.name: watch_and_set(s.clients[0], "k", None) for s in stores})


def test_a_watched_key_that_expires_aborts_exec(clock: ManualClock) -> None:
    """As in Redis 7 (fakeredis 2.41 lets this EXEC through)."""
    client = FastStore(clock).client()
    client.execute_command("SET", "hold", "x", "PX", 100)
    client.execute_command("SET", "gone", "x", "PX", 50)
    clock.now += 0.075
    pipe = client.pipeline()
    pipe.execute_command("WATCH", "hold", "gone")  # "gone" had expired already: deleting it now changes nothing
    assert pipe.execute_command("GET", "gone") is None
    pipe.multi()
    pipe.execute_command("SET", "other", 1)
    assert pipe.execute() == [True]
    pipe.execute_command("WATCH", "hold")
    clock.now += 0.05  # "hold" expires after WATCH: the transaction must not run
    pipe.multi()
    pipe.execute_command("SET", "other", 2)
    with pytest.raises(redis.WatchError):
        pipe.execute()
    assert client.execute_command("GET", "other") == "1"


def test_multi_exec_on_one_client_connection(stores: list[Store]) -> None:
    script = [("MULTI",), ("SET", "a", 1), ("INCR", "a"), ("HGET", "a", "f"), ("EXEC",), ("EXEC",), ("DISCARD",),
              ("MULTI",), ("SET", "b", 1), ("DISCARD",), ("GET", "b"), ("MULTI",), ("MULTI",), ("GET",), ("EXEC",)]
    fast = next(s for s in stores if s.name == "fast").clients[0]
    fake = SimStore(ManualClock()).client(direct=True)  # keeps its connection, like a FastClient
    for command in script:
        assert_same({"fake": outcome(lambda c=command: fake.execute_command(*c)),
                     "fast": outcome(lambda c=command: fast.execute_command(*c))}, repr(command))


@pytest.mark.parametrize("transaction", [True, False])
@pytest.mark.parametrize("raise_on_error", [True, False])
def test_pipelines_report_errors_like_redis_py(stores: list[Store], transaction: bool, raise_on_error: bool) -> None:
    def go(client: redis.Redis) -> Any:
        pipe = client.pipeline(transaction=transaction)
        pipe.set("s", "text")
        pipe.incr("s")
        pipe.hset("h", "f", 1)
        pipe.hgetall("h")
        pipe.zadd("z", {"m": 1.5})
        pipe.zrange("z", 0, -1, withscores=True)
        return pipe.execute(raise_on_error=raise_on_error)

    assert_same({s.name: outcome(lambda s=s: go(s.clients[0])) for s in stores})
    assert_same_data(stores)


def test_a_transaction_with_a_bad_command_is_discarded(stores: list[Store]) -> None:
    def go(client: redis.Redis) -> Any:
        pipe = client.pipeline()
        pipe.execute_command("SET", "a", 1)
        pipe.execute_command("GET", "a", "extra")
        return pipe.execute(raise_on_error=False)

    assert_same({s.name: outcome(lambda s=s: go(s.clients[0])) for s in stores})
    assert_same({s.name: s.clients[0].execute_command("EXISTS", "a") for s in stores})


def test_sync_driver_batches_and_scripts(stores: list[Store]) -> None:
    def conversation() -> Conversation[Any]:
        first = yield INCR(["c"], [5])
        both = yield Batch.of([INCR(["c"], [1]), ("GET", "c"), ("HSET", "h", "a", first)], atomic=True)
        plain = yield Batch.of([("HGETALL", "h"), ("LPUSH", "l", "x")])
        return first, both, plain

    assert_same({s.name: SyncDriver(s.clients[0]).run(conversation()) for s in stores})
    for s in stores:  # a script flush between steps: the driver loads the script again
        s.clients[0].script_flush()
    assert_same({s.name: SyncDriver(s.clients[0]).run(conversation()) for s in stores})


def test_redis_py_methods_work() -> None:
    r = FastStore().client()
    assert r.set("k", "v", ex=100) is True
    assert r.get("k") == "v"
    assert 99 <= r.ttl("k") <= 100
    assert r.hset("h", mapping={"a": 1, "b": 2}) == 2
    assert r.hgetall("h") == {"a": "1", "b": "2"}
    assert r.zadd("z", {"a": 1, "b": 2.5}) == 2
    assert r.zrange("z", 0, -1, withscores=True) == [("a", 1.0), ("b", 2.5)]
    assert r.zscore("z", "b") == 2.5
    assert r.zpopmin("z") == [("a", 1.0)]
    assert r.sadd("s", "x", "y") == 2
    assert r.smembers("s") == {"x", "y"}
    entry = r.xadd("st", {"f": "v"})
    assert r.xrange("st") == [(entry, {"f": "v"})]
    assert r.xrevrange("st", count=1) == [(entry, {"f": "v"})]
    assert r.xread({"st": "0"}) == [["st", [(entry, {"f": "v"})]]]
    assert r.xread({"st": entry}) == []
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert r.ping() is True
    assert r.keys("*") == ["h", "k", "s", "st", "z"]
    assert sorted(r.scan_iter(match="s*")) == ["s", "st"]
    assert r.register_script("return ARGV[1]")(args=["hi"]) == "hi"
    with pytest.raises(NotImplementedError):
        r.pubsub()


def test_bytes_clients_and_argument_encoding() -> None:
    store = FastStore()
    r = store.client(decode_responses=False)
    r.execute_command("SET", b"k", 12)
    assert r.execute_command("GET", "k") == b"12"
    r.execute_command("HSET", "h", "f", 2.5)
    assert r.hgetall("h") == {b"f": b"2.5"}
    assert r.execute_command("SMEMBERS", "none") == set()
    with pytest.raises(redis.DataError, match="bool"):
        r.execute_command("SET", "k", True)
    with pytest.raises(redis.DataError, match="NoneType"):
        r.execute_command("SET", "k", None)
    assert store.client().execute_command("GET", "k") == "12"


def test_integers_beyond_2_53_are_stored_exactly(stores: list[Store]) -> None:
    for command in (("SET", "c", "9007199254740993"), ("INCRBY", "c", 10), ("HINCRBY", "h", "f", "9007199254740993"),
                    ("HINCRBY", "h", "f", "-9007199254740993"), ("INCRBY", "c", "9223372036854775800")):
        assert_same({s.name: outcome(lambda s=s, c=command: s.clients[0].execute_command(*c)) for s in stores})
    assert_same({s.name: s.clients[0].execute_command("GET", "c") for s in stores})
    assert next(s for s in stores if s.name == "fast").clients[0].execute_command("GET", "c") == "9007199254741003"


def test_long_replies_come_back_whole() -> None:
    r = FastStore().client()
    r.execute_command("RPUSH", "l", *range(20_000))
    assert r.execute_command("LRANGE", "l", 0, -1) == [str(i) for i in range(20_000)]
    r.execute_command("HSET", "h", *[x for i in range(5000) for x in (f"f{i}", i)])
    assert len(r.execute_command("HGETALL", "h")) == 5000


def test_blocking_is_refused_with_a_clear_error() -> None:
    r = FastStore().client()
    with pytest.raises(redis.ResponseError, match="cannot block"):
        r.execute_command("XREAD", "BLOCK", 100, "STREAMS", "s", "$")
    r.execute_command("XADD", "s", "1-1", "f", "v")
    assert r.execute_command("XREAD", "BLOCK", 100, "STREAMS", "s", "0") == [["s", [("1-1", {"f": "v"})]]]
    with pytest.raises(redis.ResponseError, match="unknown command 'BLPOP'"):
        r.execute_command("BLPOP", "l", 1)


def test_each_client_is_its_own_connection() -> None:
    store = FastStore()
    a, b = store.client(), store.client()
    assert isinstance(a, FastClient)
    a.execute_command("MULTI")
    assert a.execute_command("SET", "k", 1) is False  # "QUEUED" through SET's callback, as redis-py does
    assert b.execute_command("GET", "k") is None
    assert a.execute_command("EXEC") == ["OK"]  # execute_command applies no callback to EXEC's items
    assert b.execute_command("GET", "k") == "1"
    a.close()


def test_runs_on_luajit_with_its_own_libraries_even_after_fakeredis() -> None:
    assert fakeredis.FakeServer is not None
    store = FastStore()
    assert store.lua.lua.eval("type(jit) == 'table' and type(bit) == 'table'")
    assert store.lua.lua.eval("(jit.status())") is False  # the interpreter: faster here
    assert FastStore(jit=True).lua.lua.eval("(jit.status())") is True


@pytest.mark.parametrize(("size", "most_kib"), [(3000, 8 * 1024), (6000, 256)])
def test_records_kept_for_the_next_decode_take_bounded_memory(size: int, most_kib: int) -> None:
    """cjson keeps the decoded table of what it encodes (for the next decode of that text) in
    bounded memory: 1,024 texts and their tables at the most (3,000 records of 3 KB would keep
    18 MB unbounded, text and table); records over 4 KiB are not kept."""
    store = FastStore()
    grown = store.lua.lua.eval("""function(cjson, size)
      collectgarbage('collect')
      local before = collectgarbage('count')
      for i = 1, 3000 do cjson.encode({id = tostring(i), data = string.rep('x', size) .. i}) end
      collectgarbage('collect')
      return collectgarbage('count') - before
    end""")(store.lua.state.cjson, size)
    assert 0 < grown < most_kib


def test_bad_arguments_are_named() -> None:
    with pytest.raises(TypeError, match="clock must be a callable"):
        FastStore(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown SimStore backend 'redis'"):
        SimStore(lambda: 0.0, backend="redis")


def test_sim_store_fast_backend_runs_conversations_in_virtual_time() -> None:
    """Two clients race a GET-then-SET through 1 ms of network each way: one increment is lost, as live."""
    results: dict[str, Any] = {}
    for backend in ("fakeredis", "fast"):
        env = simpy.Environment()
        store = SimStore(SimClock(env).time, backend=backend)
        drivers = [SimDriver(env, store.client(), network=Network.deterministic(0.002)) for _ in range(2)]

        def racer(driver: SimDriver) -> Generator[Any, Any, None]:
            def get_set() -> Conversation[None]:
                value = int((yield ("GET", "n")) or 0)
                yield ("SET", "n", value + 1, "PX", 10_000)
                return None

            yield from driver.run(get_set())

        for d in drivers:
            env.process(racer(d))
        env.run()
        client = store.client()
        results[backend] = (client.execute_command("GET", "n"), client.execute_command("PTTL", "n") // 10, env.now)
        env.run(until=11)
        results[backend] += (client.execute_command("GET", "n"),)
    assert results["fast"] == results["fakeredis"] == ("1", 999, 0.004, None)
