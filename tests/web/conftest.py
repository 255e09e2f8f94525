"""Fixtures for the web apps: both kinds of client, and a TCP proxy that can cut or stall Redis."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import fakeredis
import pytest
import redis
import redis.asyncio
from fastapi import FastAPI
from fastapi.testclient import TestClient
from webtools import TcpProxy

from queuesim.web.stock_app import create_stock_app

REAL_URL = os.environ.get("REDIS_URL") or None


@pytest.fixture(params=["async", "sync"])
def io(request: pytest.FixtureRequest) -> str:
    """How the app's handlers reach Redis: an asyncio client, or a sync one in the threadpool."""
    return str(request.param)


@pytest.fixture
def source(backend: str, r: redis.Redis, io: str) -> Any:
    """A client source for ``create_stock_app`` on this test's store (``r`` sees the same data)."""
    if io == "sync":
        return r
    if backend == "fake":
        server = r.connection_pool.connection_kwargs["server"]
        return lambda: fakeredis.FakeAsyncRedis(server=server, decode_responses=True)
    assert REAL_URL is not None
    return lambda: redis.asyncio.Redis.from_url(REAL_URL, decode_responses=True)


@pytest.fixture
def start_client() -> Iterator[Callable[[FastAPI], TestClient]]:
    """Starts a test client of any app (its lifespan runs); every one is stopped at teardown."""
    clients: list[TestClient] = []

    def start(app: FastAPI) -> TestClient:
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def make_api(source: Any, start_client: Callable[[FastAPI], TestClient]) -> Callable[..., TestClient]:
    """Makes a started test client of a stock app on this test's store: ``make_api(strategy=..., ...)``."""
    return lambda **options: start_client(create_stock_app(source, **options))


@pytest.fixture
def api(make_api: Callable[..., TestClient]) -> TestClient:
    """A started test client of the default (atomic) stock app."""
    return make_api()


@pytest.fixture
def upstream(backend: str, r: redis.Redis) -> Iterator[tuple[str, int, int]]:
    """A Redis server on a TCP socket, as (host, port, db): the real one, or a fakeredis TCP server."""
    if backend == "real":
        assert REAL_URL is not None
        parts = urlsplit(REAL_URL)
        yield (parts.hostname or "127.0.0.1", parts.port or 6379, int(parts.path.lstrip("/") or 0))
        return
    server = fakeredis.TcpFakeServer(("127.0.0.1", 0))
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield (str(host), int(port), 0)
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: tuple[str, int, int]) -> Iterator[TcpProxy]:
    """A proxy to ``upstream`` that the test can cut, stall and restore."""
    p = TcpProxy(upstream[:2], upstream[2])
    yield p
    p.cut()
