"""The multiplexed asyncio client the stock and seat servers use: one pipelined connection, same answers."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
import redis.exceptions
from webtools import TcpProxy, closed_port, free_port

import queuesim.web.multiplex
from queuesim.drivers import AsyncDriver
from queuesim.scripts import Script
from queuesim.stock import PRODUCTS, reserve
from queuesim.web.clients import server_client
from queuesim.web.multiplex import MultiplexedRedis


def url_of(upstream: tuple[str, int, int]) -> str:
    host, port, db = upstream
    return f"redis://{host}:{port}/{db}"


def multiplexed(url: str, **options: Any) -> MultiplexedRedis:
    client = server_client(url, "async", multiplex=True, **options)
    assert isinstance(client, MultiplexedRedis)
    return client


async def both(url: str, calls: list[tuple[Any, ...]]) -> tuple[list[Any], list[Any]]:
    """The same commands on a plain redis.asyncio client and on a multiplexed one: replies or exceptions."""
    out = []
    for client in (redis.asyncio.Redis.from_url(url, decode_responses=True), multiplexed(url)):
        replies: list[Any] = []
        await client.flushdb()
        await client.script_flush()
        for call in calls:
            try:
                replies.append(await client.execute_command(*call))
            except redis.exceptions.RedisError as exc:
                replies.append((type(exc), str(exc)))
        await client.aclose()
        out.append(replies)
    return out[0], out[1]


def test_replies_errors_and_callbacks_are_redis_pys(upstream: tuple[str, int, int]) -> None:
    script = Script.from_source("echo_args", "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}")
    calls: list[tuple[Any, ...]] = [
        ("SET", "k", "v"), ("GET", "k"), ("GET", "missing"), ("INCR", "n"), ("INCRBY", "n", 41),
        ("HSET", "h", "a", "1", "b", "é"), ("HGETALL", "h"), ("EXISTS", "k", "h", "nope"),
        ("LPUSH", "k", 1),  # WRONGTYPE: a ResponseError, as from redis-py
        ("EVALSHA", script.sha, 1, "key", "x", 2),  # NOSCRIPT: redis-py's NoScriptError
        ("SCRIPT LOAD", script.source), ("EVALSHA", script.sha, 1, "key", "x", 2),
        ("DEL", "k", "h", "n"), ("NOSUCHCOMMAND",),
    ]
    plain, multi = asyncio.run(both(url_of(upstream), calls))
    assert multi == plain
    assert multi[1] == "v"
    assert multi[6] == {"a": "1", "b": "é"}  # the HGETALL callback ran
    assert multi[8][0] is redis.exceptions.ResponseError
    assert multi[9][0] is redis.exceptions.NoScriptError
    assert multi[11] == ["key", "x", 3]


def test_many_concurrent_commands_share_one_connection_and_get_their_own_replies(
    upstream: tuple[str, int, int],
) -> None:
    proxy = TcpProxy(upstream[:2], upstream[2])

    async def go() -> list[int]:
        client = multiplexed(proxy.url)
        try:
            await client.delete("n")
            return list(await asyncio.gather(*(client.incr("n") for _ in range(500))))
        finally:
            await client.aclose()

    try:
        replies = asyncio.run(go())
        connections = len(proxy._sockets) // 2  # each one is the client's socket and the upstream's
    finally:
        proxy.cut()
    assert sorted(replies) == list(range(1, 501))
    assert replies == list(range(1, 501))  # in the order they were sent
    assert connections == 1


def test_pipelines_transactions_watch_and_blocking_commands_use_the_pool(upstream: tuple[str, int, int]) -> None:
    async def go() -> None:
        client = multiplexed(url_of(upstream))
        try:
            await client.set("k", "1")
            async with client.pipeline(transaction=True) as pipe:
                await pipe.watch("k")
                value = await pipe.get("k")
                pipe.multi()
                pipe.set("k", int(value) + 1)
                pipe.get("k")
                assert await pipe.execute() == [True, "2"]
            assert await client.blpop(["empty"], timeout=0.05) is None
            assert await client.rpush("l", "x") == 1
            assert await client.blpop(["l"], timeout=1) == ("l", "x")
            assert client._link is not None  # plain commands went over the shared connection meanwhile
        finally:
            await client.aclose()

    asyncio.run(go())


def test_a_conversation_runs_unchanged_on_it(upstream: tuple[str, int, int]) -> None:
    async def go() -> list[str]:
        client = multiplexed(url_of(upstream))
        try:
            await client.flushdb()
            driver = AsyncDriver(client)
            results = await asyncio.gather(*(driver.run(reserve(PRODUCTS[0], s)) for s in ["atomic"] * 6))
            watched = await driver.run(reserve(PRODUCTS[1], "watch"))
            return [r.status.name for r in [*results, watched]]
        finally:
            await client.aclose()

    assert asyncio.run(go()) == ["CONFIRMED"] * 4 + ["NOT_ENOUGH_STOCK"] * 2 + ["CONFIRMED"]


def test_bytes_without_decode_responses(upstream: tuple[str, int, int]) -> None:
    async def go() -> Any:
        pool = redis.asyncio.BlockingConnectionPool.from_url(url_of(upstream))
        client = MultiplexedRedis.from_pool(pool)
        try:
            await client.set("k", "é")
            return await client.get("k"), await client.mget("k", "nope")
        finally:
            await client.aclose()

    assert asyncio.run(go()) == ("é".encode(), ["é".encode(), None])


def test_a_stalled_server_times_out_every_waiting_command_then_it_reconnects(
    upstream: tuple[str, int, int],
) -> None:
    proxy = TcpProxy(upstream[:2], upstream[2])

    async def go() -> tuple[list[Any], float, Any]:
        client = multiplexed(proxy.url, timeout=0.3)
        try:
            await client.set("k", "v")
            proxy.stall()
            started = time.monotonic()
            stalled = await asyncio.gather(*(client.get("k") for _ in range(20)), return_exceptions=True)
            elapsed = time.monotonic() - started
            proxy.cut()
            proxy.restore()
            return stalled, elapsed, await client.get("k")
        finally:
            await client.aclose()

    try:
        stalled, elapsed, after = asyncio.run(go())
    finally:
        proxy.cut()
    assert [type(x) for x in stalled] == [redis.exceptions.TimeoutError] * 20
    assert elapsed < 2
    assert after == "v"


def test_a_lost_connection_fails_the_waiting_commands_and_the_next_one_reconnects(
    upstream: tuple[str, int, int],
) -> None:
    proxy = TcpProxy(upstream[:2], upstream[2])

    async def go() -> tuple[list[Any], Any, Any]:
        client = multiplexed(proxy.url, timeout=5)
        try:
            await client.set("k", "v")
            proxy.stall()  # the commands below wait, then the connection goes
            waiting = [asyncio.ensure_future(client.get("k")) for _ in range(5)]
            await asyncio.sleep(0)  # each command is queued on the connection
            proxy.cut()
            lost = await asyncio.gather(*waiting, return_exceptions=True)
            try:
                await client.get("k")
                refused: Any = None
            except redis.exceptions.ConnectionError as exc:
                refused = exc
            proxy.restore()
            return lost, refused, await client.get("k")
        finally:
            await client.aclose()

    try:
        lost, refused, after = asyncio.run(go())
    finally:
        proxy.cut()
    assert [type(x) for x in lost] == [redis.exceptions.ConnectionError] * 5
    assert isinstance(refused, redis.exceptions.ConnectionError)  # nothing listens: no hang
    assert after == "v"


class RecordingTransport:
    """Stands for a socket: keeps what is written, never answers by itself."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def abort(self) -> None:
        self.aborted = True


def test_a_caller_that_gives_up_does_not_shift_the_others_replies() -> None:
    from hiredis import Reader

    from queuesim.web.multiplex import _Link

    async def go() -> tuple[list[Any], RecordingTransport, int]:
        link = _Link(Reader(encoding="utf-8"), None, "test")
        transport = RecordingTransport()
        link.connection_made(transport)  # type: ignore[arg-type]
        futures = [link.send(b"*2\r\n$3\r\nGET\r\n$2\r\nk%d\r\n" % i) for i in range(50)]
        for future in futures[::3]:
            future.cancel()  # their callers gave up before Redis answered
        await asyncio.sleep(0)  # the commands go out, in one write
        link.data_received(b"".join(b"$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(50)))
        return ["cancelled" if f.cancelled() else f.result() for f in futures], transport, len(link.waiting)

    replies, transport, left = asyncio.run(go())
    assert len(transport.written) == 1
    assert transport.written[0].count(b"GET") == 50
    assert replies == ["cancelled" if i % 3 == 0 else str(i) for i in range(50)]
    assert left == 0
    assert not transport.aborted


def test_a_closed_port_is_a_connection_error() -> None:
    async def go() -> None:
        client = multiplexed(f"redis://127.0.0.1:{closed_port()}/0")
        try:
            with pytest.raises(redis.exceptions.ConnectionError, match=r"connecting to 127\.0\.0\.1"):
                await asyncio.gather(client.get("a"), client.get("b"))
        finally:
            await client.aclose()

    asyncio.run(go())


@pytest.fixture
def password_server() -> Iterator[int]:
    """A private redis-server on a free port that wants a password (skipped without redis-server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", folder, "--requirepass", "s3cret"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            probe = redis.Redis(port=port, password="s3cret")
            for _ in range(100):
                try:
                    probe.ping()
                    break
                except redis.exceptions.ConnectionError:
                    time.sleep(0.05)
            probe.close()
            yield port
        finally:
            proc.terminate()
            proc.wait(10)


def test_it_authenticates_and_selects_the_database(password_server: int) -> None:
    async def go(url: str) -> Any:
        client = multiplexed(url)
        try:
            await client.set("k", "in db 3")
            return await client.get("k")
        finally:
            await client.aclose()

    assert asyncio.run(go(f"redis://:s3cret@127.0.0.1:{password_server}/3")) == "in db 3"
    check = redis.Redis(port=password_server, password="s3cret", db=3, decode_responses=True)
    assert check.get("k") == "in db 3"
    check.execute_command("SELECT", 0)
    assert check.get("k") is None
    check.close()
    with pytest.raises(redis.exceptions.AuthenticationError):
        asyncio.run(go(f"redis://:wrong@127.0.0.1:{password_server}/3"))


def test_without_hiredis_or_over_tls_every_command_uses_the_pool(
    upstream: tuple[str, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = MultiplexedRedis.from_pool(redis.asyncio.BlockingConnectionPool.from_url("rediss://127.0.0.1:1/0"))
    assert not tls.multiplexing
    monkeypatch.setattr(queuesim.web.multiplex, "HiredisReader", None)

    async def go() -> Any:
        client = multiplexed(url_of(upstream))
        try:
            assert not client.multiplexing
            await client.set("k", "v")
            assert client._link is None
            return await client.get("k")
        finally:
            await client.aclose()

    assert asyncio.run(go()) == "v"


def test_the_stock_app_on_it_answers_503_while_redis_is_away_then_recovers(proxy: TcpProxy, r: redis.Redis) -> None:
    from fastapi.testclient import TestClient

    from queuesim.web.stock_app import create_stock_app

    app = create_stock_app(lambda: server_client(proxy.url, "async", timeout=0.3, multiplex=True))
    with TestClient(app) as api:
        assert api.get("/reserve_product/1").status_code == 200
        proxy.stall()
        stalled = api.get("/reserve_product/1")
        proxy.cut()
        down = [api.get("/reserve_product/1") for _ in range(3)]
        proxy.restore()
        assert api.get("/reserve_product/1").status_code == 200
        assert api.get("/list_products/1").json()["currentQuantity"] == 2
    assert (stalled.status_code, stalled.json()["detail"]) == (503, "Redis did not answer in time")
    assert [(x.status_code, x.json()["detail"]) for x in down] == [(503, "Redis is not reachable")] * 3
