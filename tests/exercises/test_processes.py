"""Exercises as separate processes: pub/sub across two processes, signals, ``queuesim store``, the tour."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from typing import Any

import pytest
import redis

from queuesim.drivers import SyncDriver
from queuesim.exercises.pubsub import CHANNEL
from queuesim.scripts import Script

from .conftest import PROCESS_DEADLINE, Proc
from .test_commands import TOUR_OUTPUT

Spawn = Callable[..., Proc]


def wait_for_subscriber(url: str, channel: str = CHANNEL) -> None:
    """Poll PUBSUB NUMSUB until someone listens on ``channel``; fail at the deadline."""
    client = redis.Redis.from_url(url, decode_responses=True)
    deadline = time.monotonic() + PROCESS_DEADLINE
    try:
        while int(client.execute_command("PUBSUB", "NUMSUB", channel)[1]) < 1:
            assert time.monotonic() < deadline, "the subscriber never subscribed"
            time.sleep(0.01)
    finally:
        client.close()


def test_subscriber_and_publisher_in_two_processes(shared_url: str, spawn: Spawn) -> None:
    subscriber = spawn("exercise", "5-subscriber", url=shared_url)
    subscriber.wait_line(lambda line: line == "Redis client connected to the server")
    wait_for_subscriber(shared_url)

    code, out, err = spawn("exercise", "5-publisher", url=shared_url).finish()
    assert (code, err) == (0, "")
    assert out == [
        "Redis client connected to the server",
        "About to send Holberton Student #1 starts course",
        "About to send Holberton Student #2 starts course",
        "About to send KILL_SERVER",
        "About to send Holberton Student #3 starts course",
    ]

    code, out, err = subscriber.finish()
    assert (code, err) == (0, "")
    assert out == [
        "Redis client connected to the server",
        "Holberton Student #1 starts course",
        "Holberton Student #2 starts course",
        "KILL_SERVER",
    ]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_subscriber_stops_cleanly_on_signals(spawn: Spawn, signum: int, code: int) -> None:
    subscriber = spawn("exercise", "5-subscriber")  # embedded store: waits forever
    subscriber.wait_line(lambda line: line == "Redis client connected to the server")
    subscriber.signal(signum)
    returncode, out, err = subscriber.finish()
    assert returncode == code
    assert out == ["Redis client connected to the server"]
    assert "Traceback" not in err
    assert err.startswith("hint: 5-subscriber is using the embedded store")


def test_shared_store_runs_lua_and_pubsub(shared_url: str) -> None:
    """On the fake backend this is ``queuesim store`` (TcpFakeServer) serving the seeded embedded store."""
    first = redis.Redis.from_url(shared_url, decode_responses=True)
    second = redis.Redis.from_url(shared_url, decode_responses=True)
    try:
        assert first.get("Holberton") == "School"
        script = Script.from_source("incr_to", "return redis.call('INCRBY', KEYS[1], ARGV[1])")
        assert SyncDriver(first).run(_call(script)) == 5
        assert first.eval("return cjson.encode({n = 1})", 0) == '{"n":1}'
        listener = second.pubsub()
        listener.subscribe("store test")
        assert listener.get_message(timeout=5)["type"] == "subscribe"
        assert first.publish("store test", "hi") == 1
        message = listener.get_message(timeout=5)
        assert message is not None
        assert message["data"] == "hi"
        listener.close()
    finally:
        first.delete("counter")
        first.close()
        second.close()


def _call(script: Script) -> Generator[Any, Any, Any]:
    return (yield script(["counter"], [5]))


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_store_stops_cleanly_with_clients_attached(spawn: Spawn, signum: int, code: int) -> None:
    store = spawn("store", "--port", "0")
    line = store.wait_line(lambda text: text.startswith("Serving the embedded store at "))
    url = line.split(" at ", 1)[1].split()[0]
    client = redis.Redis.from_url(url)
    assert client.ping() is True  # a connection is open while it stops
    store.signal(signum)
    returncode, out, err = store.finish()
    client.close()
    assert returncode == code
    assert out[1] == f"In other terminals: export REDIS_URL={url}"
    assert "Traceback" not in err


def test_store_port_in_use(spawn: Spawn) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        returncode, out, err = spawn("store", "--port", str(port)).finish()
    assert returncode == 1
    assert out == []
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "--port" in err


def test_tour_output_through_a_pipe() -> None:
    """What ``make run`` shows, with stdout block-buffered as in a pipe."""
    result = subprocess.run(
        [sys.executable, "-m", "queuesim", "tour"],
        capture_output=True,
        text=True,
        timeout=PROCESS_DEADLINE,
        env={k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PYTHONUNBUFFERED")},
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == TOUR_OUTPUT
