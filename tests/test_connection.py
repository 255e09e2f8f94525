"""connect(): the embedded store, real servers by URL, bounded retries, URL checks and masking."""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from pathlib import Path

import pytest
import redis

import queuesim
from queuesim.connection import (
    CONNECTED_MESSAGE,
    NOT_CONNECTED_MESSAGE,
    connect,
    connect_async,
    embedded_server,
    mask_url,
    redis_url,
)
from queuesim.errors import ConnectionFailed, InvalidURL, QueuesimError


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_embedded_store_is_seeded_and_shared(embedded: object) -> None:
    first, second = connect(), connect()
    assert first.get("Holberton") == "School"
    first.set("shared", "yes")
    assert second.get("shared") == "yes"
    assert embedded is embedded_server()


def test_connect_reports_success_once(connected: object) -> None:
    lines: list[str] = []
    client = connect(report=lines.append)
    assert client.ping() is True
    assert lines == [CONNECTED_MESSAGE]
    assert CONNECTED_MESSAGE == "Redis client connected to the server"
    client.close()


def test_connected_fixture_reaches_the_test_store(backend: str, connected: object, r: redis.Redis) -> None:
    client = connect()
    client.set("probe", backend)
    if backend == "real":  # same database as the r fixture
        assert r.get("probe") == "real"
    else:
        assert connect().get("probe") == "fake"
    client.close()


def test_async_client_shares_the_embedded_store(embedded: object) -> None:
    async def read() -> str:
        client = connect_async()
        try:
            return str(await client.get("Holberton"))
        finally:
            await client.aclose()

    connect().set("Holberton", "Async School")
    assert asyncio.run(read()) == "Async School"


def test_failed_connection_prints_each_attempt_and_raises_in_bounded_time(
    closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"redis://learner:s3cret@127.0.0.1:{closed_port}/0"
    bound = 5.0  # 3 attempts to a refusing port, backoff 0.05 + 0.1 s: far below this
    start = time.monotonic()
    with pytest.raises(ConnectionFailed) as info:
        connect(url, attempts=3, backoff=0.05, timeout=1.0, report=print)
    elapsed = time.monotonic() - start
    assert elapsed < bound
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert line.startswith(f"{NOT_CONNECTED_MESSAGE}: ")
        assert str(closed_port) in line  # the client library's error text names the address
    message = str(info.value)
    assert f"redis://learner:***@127.0.0.1:{closed_port}/0" in message
    assert "s3cret" not in message
    assert isinstance(info.value, QueuesimError)


def test_connection_failure_is_bounded_in_time(closed_port: int) -> None:
    """connect() waits for a server (10 s by default, ``wait=``), then gives up saying how long it tried."""
    assert inspect.signature(connect).parameters["wait"].default == 10.0
    start = time.monotonic()
    with pytest.raises(ConnectionFailed, match=r"after \d+ attempts in 1\.\d s: "):
        connect(f"redis://127.0.0.1:{closed_port}", wait=1.0)
    assert time.monotonic() - start < 5.0


def test_a_server_that_is_not_redis_fails_at_once_naming_the_problem(capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong port that reaches another server (here one answering like HTTP) is not retried."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    accepted = 0

    def answer_like_http() -> None:
        nonlocal accepted
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            accepted += 1
            with conn:
                conn.recv(1024)
                conn.sendall(b"<html>400 Bad Request</html>\r\n")

    thread = threading.Thread(target=answer_like_http, daemon=True)
    thread.start()
    try:
        with pytest.raises(ConnectionFailed, match="does not speak Redis's protocol") as info:
            connect(f"redis://user:pw@127.0.0.1:{port}/0", attempts=3, backoff=0.05, report=print)
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not on Linux)
        listener.close()
        thread.join(5)
    assert not thread.is_alive()
    assert "user:***@" in str(info.value)
    assert accepted == 1  # no retry: another answer would be just as wrong
    assert capsys.readouterr().out.startswith(f"{NOT_CONNECTED_MESSAGE}: ")


def test_attempts_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="attempts must be at least 1"):
        connect("redis://127.0.0.1:1", attempts=0)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        pytest.param("http://127.0.0.1:6379", "must start with redis://", id="wrong-scheme"),
        pytest.param("127.0.0.1:6379", "must start with redis://", id="no-scheme"),
        pytest.param("redis://", "names no host", id="no-host"),
        pytest.param("redis://127.0.0.1:port/0", "invalid port", id="bad-port"),
        pytest.param("redis://127.0.0.1:99999/0", "invalid port", id="port-out-of-range"),
        pytest.param("redis://127.0.0.1:6379/zero", "is not a number", id="bad-db"),
        pytest.param("unix://", "names no socket path", id="unix-no-path"),
    ],
)
def test_malformed_urls_are_rejected_clearly(url: str, problem: str) -> None:
    with pytest.raises(InvalidURL, match=problem):
        connect(url)


def test_malformed_redis_url_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2@localhost:notaport/0")
    with pytest.raises(InvalidURL) as info:
        connect()
    assert "invalid port" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_empty_redis_url_means_embedded(monkeypatch: pytest.MonkeyPatch, embedded: object) -> None:
    monkeypatch.setenv("REDIS_URL", "")
    assert redis_url() is None
    assert connect().get("Holberton") == "School"


def test_url_argument_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://env-host:6379/0")
    assert redis_url("redis://arg-host:6379/2") == "redis://arg-host:6379/2"
    assert redis_url() == "redis://env-host:6379/0"


def test_non_string_url_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="must be a string"):
        redis_url(6379)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "rediss://:pw@cache.example.com:6380/2",
        "rediss://default:pw@cache.example.com",
        "unix:///var/run/redis/redis.sock",
        "unix:///tmp/redis.sock?db=3",
        "redis://user:pw@[::1]:6379/0",
    ],
)
def test_tls_unix_and_ipv6_urls_are_accepted(url: str) -> None:
    assert redis_url(url) == url


def test_rediss_failure_is_bounded_and_masked(closed_port: int) -> None:
    url = f"rediss://:topsecret@127.0.0.1:{closed_port}/1"
    with pytest.raises(ConnectionFailed) as info:
        connect(url, attempts=1, timeout=1.0)
    assert f"rediss://:***@127.0.0.1:{closed_port}/1" in str(info.value)
    assert "topsecret" not in str(info.value)


def test_missing_unix_socket_fails_naming_it(tmp_path: Path) -> None:
    sock = tmp_path / "nothing-here.sock"
    lines: list[str] = []
    with pytest.raises(ConnectionFailed, match=r"nothing-here\.sock"):
        connect(f"unix://{sock}", attempts=2, backoff=0.01, report=lines.append)
    assert len(lines) == 2
    assert all(line.startswith(NOT_CONNECTED_MESSAGE) for line in lines)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("redis://:pw@host:6379/0", "redis://:***@host:6379/0"),
        ("redis://user:pw@host/1", "redis://user:***@host/1"),
        ("rediss://user:p%40ss@host:6380", "rediss://user:***@host:6380"),
        ("redis://host:6379/0", "redis://host:6379/0"),
        ("redis://user:pw@[::1]:6379/0", "redis://user:***@[::1]:6379/0"),
        ("redis://:p@ss@host:6379", "redis://:***@host:6379"),
        ("redis://:pw@host:badport/0", "redis://:***@host:badport/0"),
        ("redis://user@host", "redis://user@host"),
        ("unix:///tmp/redis.sock?db=1", "unix:///tmp/redis.sock?db=1"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_public_names() -> None:
    assert queuesim.connect is connect
    assert queuesim.mask_url is mask_url
