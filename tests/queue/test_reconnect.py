"""After Redis restarts, a client's pooled connections are dead sockets: the first command on each must
reconnect and succeed, not fail (each failure would cost a worker one step of its outage backoff, up to
5 s, after Redis is already back)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_server import RedisServer

from queuesim.connection import connect, connect_async


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    own = RedisServer(tmp_path).start()
    yield own
    own.stop()


def test_an_asyncio_client_s_first_command_after_a_restart_succeeds(server: RedisServer) -> None:
    async def go() -> None:
        client = connect_async(server.url)
        try:
            await asyncio.gather(*(client.ping() for _ in range(4)))  # four pooled connections
            server.kill()
            server.start()
            assert await asyncio.gather(*(client.ping() for _ in range(4))) == [True] * 4
        finally:
            await client.aclose()

    asyncio.run(go())


def test_a_sync_client_s_first_command_after_a_restart_succeeds(server: RedisServer) -> None:
    client = connect(server.url)
    try:
        assert client.set("k", "v")
        server.kill()
        server.start()
        assert client.get("k") == "v"  # the append-only file kept it
    finally:
        client.close()
