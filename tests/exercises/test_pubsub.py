"""Exercise 5: the subscriber prints until KILL_SERVER, the publisher sends on schedule."""

from __future__ import annotations

import queue
import threading
import time
import uuid
from typing import Any

import pytest
import redis

from queuesim.connection import connect
from queuesim.exercises import pubsub
from queuesim.exercises.pubsub import (
    KILL_SERVER,
    listen_for_messages,
    publish_message,
    publish_schedule,
    run_both,
)

BOTH_OUTPUT = """\
Redis client connected to the server
Redis client connected to the server
About to send Holberton Student #1 starts course
Holberton Student #1 starts course
About to send Holberton Student #2 starts course
Holberton Student #2 starts course
About to send KILL_SERVER
KILL_SERVER
About to send Holberton Student #3 starts course
"""

PUBLISHER_OUTPUT = """\
Redis client connected to the server
About to send Holberton Student #1 starts course
About to send Holberton Student #2 starts course
About to send KILL_SERVER
About to send Holberton Student #3 starts course
"""


@pytest.fixture
def channel() -> str:
    """A channel of this test only (pub/sub is server-wide, not per database)."""
    return f"test channel {uuid.uuid4()}"


def numsub(client: redis.Redis, channel: str) -> int:
    return int(client.execute_command("PUBSUB", "NUMSUB", channel)[1])


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    """Poll ``condition`` until true; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.005)


def test_both_halves_in_one_process_exact_output(
    store: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_both() == [
        "Holberton Student #1 starts course",
        "Holberton Student #2 starts course",
        KILL_SERVER,
    ]
    assert capsys.readouterr().out == BOTH_OUTPUT
    assert numsub(store, pubsub.CHANNEL) == 0


def test_publisher_delays_count_from_the_start(
    store: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    waits: list[float] = []
    assert publish_schedule(client=store, sleep=waits.append) == 4
    assert waits == [0.1, 0.1, 0.1, 0.1]  # 100, 200, 300, 400 ms after the start
    assert capsys.readouterr().out == PUBLISHER_OUTPUT.split("\n", 1)[1]


def test_publisher_main_output(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    assert pubsub.publisher_main() == 0
    assert capsys.readouterr().out == PUBLISHER_OUTPUT


def test_subscriber_thread_with_own_publisher(
    store: redis.Redis, channel: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ready = threading.Event()
    handled: queue.Queue[str] = queue.Queue()
    got: list[list[str]] = []
    sub_client = connect()

    def subscriber() -> None:
        got.append(
            listen_for_messages(client=sub_client, channel=channel, ready=ready, on_message=handled.put)
        )

    thread = threading.Thread(target=subscriber)
    thread.start()
    try:
        assert ready.wait(10)
        assert numsub(store, channel) == 1
        assert publish_message("hello", 0, client=store, channel=channel) == 1
        assert handled.get(timeout=10) == "hello"
        assert publish_message(KILL_SERVER, 0, client=store, channel=channel) == 1
    finally:
        thread.join(10)
    assert not thread.is_alive()
    assert got == [["hello", KILL_SERVER]]
    assert capsys.readouterr().out == "About to send hello\nhello\nAbout to send KILL_SERVER\nKILL_SERVER\n"
    wait_until(lambda: numsub(store, channel) == 0)  # it unsubscribed
    assert publish_message("after", 0, client=store, channel=channel) == 0
    sub_client.close()


def test_stop_event_ends_the_subscriber(store: redis.Redis, channel: str) -> None:
    ready, stop = threading.Event(), threading.Event()
    got: list[list[str]] = []
    sub_client = connect()
    thread = threading.Thread(
        target=lambda: got.append(
            listen_for_messages(client=sub_client, channel=channel, ready=ready, stop=stop)
        )
    )
    thread.start()
    assert ready.wait(10)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert got == [[]]
    wait_until(lambda: numsub(store, channel) == 0)
    sub_client.close()


@pytest.mark.parametrize(
    ("message", "delay", "error"),
    [
        (42, 0, TypeError),
        (None, 0, TypeError),
        ("hi", -1, ValueError),
        ("hi", float("nan"), ValueError),
        ("hi", float("inf"), ValueError),
        ("hi", "100", TypeError),
        ("hi", True, TypeError),
    ],
)
def test_bad_publish_input_fails_before_waiting_or_sending(
    message: Any, delay: Any, error: type[Exception], capsys: pytest.CaptureFixture[str]
) -> None:
    class NoCommands:
        def execute_command(self, *args: Any) -> Any:
            raise AssertionError("sent")

    def no_sleep(seconds: float) -> None:
        raise AssertionError("slept")

    with pytest.raises(error):
        publish_message(message, delay, client=NoCommands(), sleep=no_sleep)  # type: ignore[arg-type]
    assert capsys.readouterr().out == ""


def test_empty_channel_is_rejected(store: redis.Redis) -> None:
    with pytest.raises(ValueError, match="channel must not be empty"):
        publish_message("hi", 0, client=store, channel="")
    with pytest.raises(ValueError, match="channel must not be empty"):
        listen_for_messages(client=store, channel="")


def test_decreasing_schedule_is_rejected_before_anything_is_sent(
    store: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="must not decrease"):
        publish_schedule([("a", 200), ("b", 100)], client=store, sleep=lambda s: None)
    with pytest.raises(TypeError):
        publish_schedule([("a", 100), (5, 200)], client=store, sleep=lambda s: None)  # type: ignore[list-item]
    assert capsys.readouterr().out == ""


def test_run_both_on_a_private_channel(
    store: redis.Redis, channel: str, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = [("one", 0), ("two", 0), (KILL_SERVER, 0), ("late", 0)]
    assert run_both(schedule=schedule, channel=channel) == ["one", "two", KILL_SERVER]
    lines = capsys.readouterr().out.splitlines()[2:]
    assert lines == [
        "About to send one",
        "one",
        "About to send two",
        "two",
        "About to send KILL_SERVER",
        "KILL_SERVER",
        "About to send late",
    ]
