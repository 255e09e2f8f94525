"""Conversations run the same on the sync, asyncio and recording drivers."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import fakeredis
import pytest
import redis

from queuesim.drivers import AsyncDriver, Batch, RecordingDriver, SyncDriver
from queuesim.scripts import Script

INCR_IF_BELOW = Script.from_source(
    "incr_if_below",
    "local v = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "if v < tonumber(ARGV[1]) then return redis.call('INCR', KEYS[1]) end\n"
    "return -1\n",
)


def counter(key: str, limit: int) -> Generator[Any, Any, list[int]]:
    out = []
    for _ in range(limit + 1):
        out.append(int((yield INCR_IF_BELOW([key], [limit]))))
    replies = yield Batch.of([("GET", key), ("EXISTS", key)], atomic=True)
    out.append(int(replies[0]))
    return out


def test_sync_driver_runs_scripts_and_batches(r: redis.Redis) -> None:
    assert SyncDriver(r).run(counter("c", 3)) == [1, 2, 3, -1, 3]


def test_script_reloaded_after_flush(r: redis.Redis) -> None:
    driver = SyncDriver(r)
    driver.run(counter("c", 1))
    r.script_flush()
    assert driver.run(counter("d", 1)) == [1, -1, 1]


def test_async_driver_same_result(backend: str, r: redis.Redis) -> None:
    async def go() -> list[int]:
        if backend == "fake":
            client: Any = fakeredis.FakeAsyncRedis(decode_responses=True)
        else:
            import os

            import redis.asyncio

            client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
        try:
            await client.delete("c")
            return await AsyncDriver(client).run(counter("c", 2))
        finally:
            await client.delete("c")
            await client.aclose()

    assert asyncio.run(go()) == [1, 2, -1, 2]


def test_recording_driver_records_exact_steps(r: redis.Redis) -> None:
    driver = RecordingDriver(r)
    driver.run(counter("c", 1))
    assert driver.commands() == ["EVALSHA incr_if_below", "EVALSHA incr_if_below", "MULTI"]


def test_errors_are_thrown_into_the_conversation(r: redis.Redis) -> None:
    def conv() -> Generator[Any, Any, str]:
        r.set("s", "text")
        try:
            yield ("INCR", "s")
        except redis.ResponseError as exc:
            return f"caught: {exc}"
        return "no error"

    assert SyncDriver(r).run(conv()).startswith("caught:")


def test_unhandled_error_propagates(r: redis.Redis) -> None:
    def conv() -> Generator[Any, Any, None]:
        yield ("SET", "s", "text")
        yield ("INCR", "s")

    with pytest.raises(redis.ResponseError):
        SyncDriver(r).run(conv())


# --------------------------------------------------------------------------- WATCH and Pause

from queuesim.drivers import Pause  # noqa: E402


def _server_of(r: redis.Redis) -> Any:
    return r.connection_pool.connection_kwargs["server"]


def _one_connection_client(backend: str, r: redis.Redis) -> redis.Redis:
    """A client whose pool holds one connection: if a conversation kept it, the next command fails."""
    if backend == "fake":
        return fakeredis.FakeRedis(server=_server_of(r), decode_responses=True, max_connections=1)
    import os

    return redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True, max_connections=1)


def _async_client(backend: str, r: redis.Redis) -> Any:
    if backend == "fake":
        return fakeredis.FakeAsyncRedis(server=_server_of(r), decode_responses=True)
    import os

    import redis.asyncio

    return redis.asyncio.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)


def check_and_set(key: str, other: redis.Redis | None = None) -> Generator[Any, Any, str]:
    """WATCH key, read it, let ``other`` write it (a conflict), then try to commit."""
    yield ("WATCH", key)
    value = yield ("GET", key)
    if other is not None:
        other.set(key, "theirs")
    try:
        replies = yield Batch.of([("SET", key, f"mine after {value}")], atomic=True)
    except redis.WatchError:
        return "aborted"
    return f"committed {replies}"


def test_watch_commits_when_nobody_interferes(r: redis.Redis) -> None:
    r.set("k", "v0")
    assert SyncDriver(r).run(check_and_set("k")) == "committed [True]"
    assert r.get("k") == "mine after v0"


def test_watch_conflict_aborts_and_is_thrown_into_the_conversation(
    backend: str, r: redis.Redis, redis_factory: Any
) -> None:
    r.set("k", "v0")
    assert SyncDriver(r).run(check_and_set("k", other=redis_factory())) == "aborted"
    assert r.get("k") == "theirs"


def test_async_watch_commits_and_aborts(backend: str, r: redis.Redis, redis_factory: Any) -> None:
    other = redis_factory()

    async def go() -> list[str]:
        client = _async_client(backend, r)
        try:
            await client.set("k", "v0")
            driver = AsyncDriver(client)
            return [await driver.run(check_and_set("k")), await driver.run(check_and_set("k", other))]
        finally:
            await client.aclose()

    assert asyncio.run(go()) == ["committed [True]", "aborted"]
    assert r.get("k") == "theirs"


def test_a_conversation_ending_while_watching_gives_its_connection_back_unwatched(
    backend: str, r: redis.Redis
) -> None:
    client = _one_connection_client(backend, r)

    def watch_and_leave() -> Generator[Any, Any, None]:
        yield ("WATCH", "k")
        yield ("GET", "k")

    driver = SyncDriver(client)
    driver.run(watch_and_leave())
    r.set("k", "changed by someone else")
    # the single pooled connection is free again, and no longer watches "k":
    assert driver.run(iter_batch()) == [True]
    client.close()


def iter_batch() -> Generator[Any, Any, list[Any]]:
    return (yield Batch.of([("SET", "k", "committed")], atomic=True))


def test_unwatch_releases_the_connection(backend: str, r: redis.Redis) -> None:
    client = _one_connection_client(backend, r)

    def watch_unwatch_then_commit() -> Generator[Any, Any, list[Any]]:
        yield ("WATCH", "k")
        assert (yield ("UNWATCH",)) is True
        r.set("k", "changed")
        assert (yield ("GET", "k")) == "changed"  # on the pool again: needs the released connection
        return (yield Batch.of([("SET", "k", "mine")], atomic=True))

    assert SyncDriver(client).run(watch_unwatch_then_commit()) == [True]
    assert r.get("k") == "mine"
    client.close()


def test_an_error_while_watching_releases_the_connection(backend: str, r: redis.Redis) -> None:
    client = _one_connection_client(backend, r)
    r.set("s", "text")

    def fails() -> Generator[Any, Any, None]:
        yield ("WATCH", "s")
        yield ("INCR", "s")

    with pytest.raises(redis.ResponseError):
        SyncDriver(client).run(fails())
    assert client.get("s") == "text"
    client.close()


def test_scripts_and_batches_run_on_the_watched_connection(r: redis.Redis) -> None:
    r.script_flush()

    def conv() -> Generator[Any, Any, list[Any]]:
        yield ("WATCH", "w")  # not "c": writing a watched key ourselves would abort our own EXEC
        first = yield INCR_IF_BELOW(["c"], [5])  # NOSCRIPT, loaded, retried on the held connection
        plain = yield Batch.of([("GET", "c"), INCR_IF_BELOW(["c"], [5])])
        done = yield Batch.of([INCR_IF_BELOW(["c"], [5])], atomic=True)
        return [first, plain, done]

    assert SyncDriver(r).run(conv()) == [1, ["1", 2], [3]]


def test_bare_transaction_commands_are_refused(r: redis.Redis) -> None:
    def conv() -> Generator[Any, Any, None]:
        yield ("MULTI",)

    with pytest.raises(ValueError, match="atomic=True"):
        SyncDriver(r).run(conv())


def test_execute_alone_sends_watch_like_any_command(backend: str, r: redis.Redis) -> None:
    # without run(), the caller owns the connection: fine on a one-connection client
    client = _one_connection_client(backend, r)
    driver = SyncDriver(client)
    assert driver.execute(("WATCH", "k")) is True
    r.set("k", "changed")
    with pytest.raises(redis.WatchError):
        driver.execute(Batch.of([("SET", "k", "mine")], atomic=True))
    assert r.get("k") == "changed"
    client.close()


def test_pause_is_waited_by_the_driver_and_recorded(r: redis.Redis) -> None:
    def conv() -> Generator[Any, Any, Any]:
        reply = yield Pause(0.001)
        yield ("SET", "k", "v")
        return reply

    driver = RecordingDriver(r)
    assert driver.run(conv()) is None
    assert driver.commands() == ["PAUSE", "SET"]

    async def go() -> Any:
        return await AsyncDriver(fakeredis.FakeAsyncRedis()).run(conv())

    assert asyncio.run(go()) is None


@pytest.mark.parametrize(
    ("seconds", "error"),
    [
        (-1, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        ("1", TypeError),
        (True, TypeError),
    ],
)
def test_pause_rejects_bad_durations(seconds: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="Pause seconds"):
        Pause(seconds)


# ---------------------------------------------------------------- the direct path over a socket


def _incr_many(key: str, n: int) -> Generator[Any, Any, int]:
    last = 0
    for _ in range(n):
        last = int((yield ("INCR", key)))
    return last


def test_direct_connections_only_where_no_one_can_starve(shared_store: tuple[str, redis.Redis]) -> None:
    url, _ = shared_store
    plain = redis.Redis.from_url(url, decode_responses=True)
    assert SyncDriver(plain)._direct is not None
    others = [
        redis.Redis.from_url(url, single_connection_client=True),
        redis.Redis.from_url(url, max_connections=1),
        redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(url)),
        fakeredis.FakeRedis(),
    ]
    for client in [plain, *others]:
        # whichever path it takes, the driver gives the same answers
        assert SyncDriver(client).run(_incr_many("n", 3)) % 3 == 0
    assert [SyncDriver(c)._direct for c in others] == [None] * len(others)
    for client in [plain, *others]:
        client.close()


def test_direct_connection_recovers_from_a_dropped_socket(shared_store: tuple[str, redis.Redis]) -> None:
    import socket

    url, r = shared_store
    client = redis.Redis.from_url(url, decode_responses=True)
    driver = SyncDriver(client)
    assert driver.run(_incr_many("k", 2)) == 2
    kept = driver._direct.idle  # type: ignore[union-attr]
    assert len(kept) == 1
    kept[0]._sock.shutdown(socket.SHUT_RDWR)  # the network drops it under our feet
    assert driver.run(_incr_many("k", 2)) == 4  # the next command reconnects
    assert r.get("k") == "4"
    client.close()


def test_threads_share_a_driver_and_it_keeps_few_connections(shared_store: tuple[str, redis.Redis]) -> None:
    import threading

    url, r = shared_store
    client = redis.Redis.from_url(url, decode_responses=True)
    driver = SyncDriver(client)
    start = threading.Barrier(16)

    def work() -> None:
        start.wait()
        driver.run(_incr_many("t", 100))

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.get("t") == "1600"
    direct = driver._direct
    assert direct is not None
    assert direct.made <= 4  # the other threads went through the pool
    assert len(direct.idle) == direct.made  # every kept connection came back
    client.close()


def test_kept_connections_never_take_the_pools_places(shared_store: tuple[str, redis.Redis]) -> None:
    """A pool sized to its threads gives every one of them a connection, however many the
    drivers keep idle (8 processes x 50 threads on a pool of 50 lost buyers this way)."""
    url, _ = shared_store
    client = redis.Redis.from_url(url, decode_responses=True, max_connections=32)
    direct = SyncDriver(client)._direct
    assert direct is not None
    held = [direct.take() for _ in range(4)]  # four commands at once: four kept connections
    assert None not in held
    assert direct.take() is None  # a fifth goes through the pool
    for conn in held:
        conn.send_command("PING")
        assert conn.read_response() in ("PONG", b"PONG")
        direct.give(conn)
    pool = client.connection_pool
    taken = [pool.get_connection() for _ in range(32)]  # every place of the pool is still there
    for conn in taken:
        pool.release(conn)
    client.close()


def test_a_dropped_client_takes_its_pool_and_kept_connections_with_it(
    shared_store: tuple[str, redis.Redis],
) -> None:
    import gc
    import weakref

    url, _ = shared_store
    client = redis.Redis.from_url(url, decode_responses=True)
    assert SyncDriver(client).run(_incr_many("d", 1)) == 1
    pool = weakref.ref(client.connection_pool)
    kept = client.connection_pool._queuesim_direct_connections.idle[0]
    assert kept.is_connected
    client.close()
    del client
    gc.collect()
    assert pool() is None  # nothing of ours keeps the pool alive
    assert not kept.is_connected  # closed as the pool went, not left to the garbage collector



def test_a_forked_child_does_not_share_the_parents_connection(shared_store: tuple[str, redis.Redis]) -> None:
    import multiprocessing

    url, r = shared_store
    client = redis.Redis.from_url(url, decode_responses=True)
    driver = SyncDriver(client)
    assert driver.run(_incr_many("f", 1)) == 1

    def child() -> None:
        raise SystemExit(0 if driver.run(_incr_many("f", 50)) >= 50 else 1)

    proc = multiprocessing.get_context("fork").Process(target=child)
    proc.start()
    # the parent goes on meanwhile on its own connection; shared sockets would mix up replies
    replies = [driver.run(_incr_many("g", 1)) for _ in range(50)]
    proc.join(30)
    assert proc.exitcode == 0
    assert replies == list(range(1, 51))
    assert r.get("f") == "51"
    client.close()


def test_steps_sent_without_a_pin_stay_on_the_pools_connection(shared_store: tuple[str, redis.Redis]) -> None:
    """A caller that WATCHes through ``execute`` without a pin (as the simulation does on a
    real client) relies on the pool handing its one connection back; kept connections must
    not take those steps."""
    url, r = shared_store
    client = redis.Redis.from_url(url, decode_responses=True)
    driver = SyncDriver(client)
    driver.run(_incr_many("warm", 1))  # the driver now keeps a connection of its own
    r.set("w", "1")
    driver.execute(("WATCH", "w"))
    assert driver.execute(("GET", "w")) == "1"
    r.set("w", "changed")
    with pytest.raises(redis.WatchError):
        driver.execute(Batch.of([("SET", "w", "mine")], atomic=True))
    assert r.get("w") == "changed"
    client.close()


def test_short_lived_drivers_share_the_kept_connections(shared_store: tuple[str, redis.Redis]) -> None:
    """One driver per call (as services do) must not pile up connections until the pool runs out."""
    url, _ = shared_store
    client = redis.Redis.from_url(url, decode_responses=True, max_connections=40)
    for _ in range(200):
        SyncDriver(client).run(_incr_many("s", 1))
    assert client.get("s") == "200"  # the pool still has connections to give
    assert len(SyncDriver(client)._direct.idle) == 1  # type: ignore[union-attr]
    client.close()
