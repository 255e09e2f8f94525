"""Shared fixtures: every Redis-facing test runs on fakeredis, and on a real server when REDIS_URL is set."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import fakeredis
import pytest
import redis

import queuesim.connection

REAL_URL = os.environ.get("REDIS_URL") or None
# The suite chooses the embedded store where it gives no URL (so no EmbeddedStoreWarning, which
# the warnings-as-errors setting would turn into failures); the warning's own tests unset it.
os.environ.setdefault(queuesim.connection.EMBEDDED_ENV, "1")

BACKENDS = [pytest.param("fake", id="fake")]
if REAL_URL:
    BACKENDS.append(pytest.param("real", id="real", marks=pytest.mark.real))

ClientFactory = Callable[[], redis.Redis]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which store the test runs on: ``fake`` (fakeredis) or ``real`` (REDIS_URL)."""
    return str(request.param)


@pytest.fixture
def redis_factory(backend: str) -> Iterator[ClientFactory]:
    """Makes clients that all talk to one clean store (a fresh FakeServer, or the flushed real db)."""
    clients: list[redis.Redis] = []
    if backend == "fake":
        server = fakeredis.FakeServer()

        def make() -> redis.Redis:
            client = fakeredis.FakeRedis(server=server, decode_responses=True)
            clients.append(client)
            return client
    else:
        assert REAL_URL is not None

        def make() -> redis.Redis:
            client = redis.Redis.from_url(REAL_URL, decode_responses=True, socket_timeout=10)
            clients.append(client)
            return client

        first = make()
        first.flushdb()  # not SCRIPT FLUSH: scripts are server-wide, other databases' users need theirs
    yield make
    if backend == "real":
        clients[0].flushdb()
    for client in clients:
        client.close()


@pytest.fixture
def r(redis_factory: ClientFactory) -> redis.Redis:
    """A client on a clean store (fakeredis, or the real server when REDIS_URL is set)."""
    return redis_factory()


@pytest.fixture
def store_url(backend: str, r: redis.Redis) -> str | None:
    """The URL a subprocess or ``connect()`` should use for this backend (``None`` = embedded)."""
    return REAL_URL if backend == "real" else None


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> fakeredis.FakeServer:
    """A fresh embedded store for code that calls ``connect()`` with no URL; REDIS_URL is hidden."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(queuesim.connection, "_embedded", None)
    return queuesim.connection.embedded_server()


@pytest.fixture
def connected(backend: str, r: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Makes ``connect()`` with no URL reach this test's store: a fresh embedded one, or the real db."""
    if backend == "fake":
        monkeypatch.delenv("REDIS_URL", raising=False)
        monkeypatch.setattr(queuesim.connection, "_embedded", None)
        return queuesim.connection.embedded_server()
    assert REAL_URL is not None
    monkeypatch.setenv("REDIS_URL", REAL_URL)
    return REAL_URL


@pytest.fixture
def shared_store(backend: str) -> Iterator[tuple[str, redis.Redis]]:
    """A store other processes can reach: (URL, client). On fake, fakeredis served over TCP."""
    if backend == "real":
        assert REAL_URL is not None
        client = redis.Redis.from_url(REAL_URL, decode_responses=True, socket_timeout=10)
        client.flushdb()
        yield REAL_URL, client
        client.flushdb()
        client.close()
        return
    import threading

    server = fakeredis.TcpFakeServer(("127.0.0.1", 0), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"redis://127.0.0.1:{server.server_address[1]}/0"
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=10)
    yield url, client
    client.close()
    server.shutdown()
    server.server_close()
