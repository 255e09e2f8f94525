"""Exercise 5 (``5-subscriber`` and ``5-publisher``): publish/subscribe on one channel.

The Node subscriber subscribed to ``holberton school channel``, logged every
message and, on ``KILL_SERVER``, unsubscribed and quit. The publisher called
``publishMessage(message, time)`` four times; each one waited ``time`` ms
(``setTimeout``, all started together), logged ``About to send <message>`` and
published. So the subscriber shows the first three messages only.

Here the publisher sends each message at its delay *from the start*, as the
timers did, then exits (**Decision** in docs/SPEC.md). The subscriber returns
cleanly (unsubscribed, connection closed) on ``KILL_SERVER`` or when its
``stop`` event is set.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import redis

from queuesim.drivers import Conversation, run
from queuesim.exercises._checks import check_key
from queuesim.exercises.basics import as_text
from queuesim.exercises.client import redis_client

__all__ = [
    "CHANNEL",
    "KILL_SERVER",
    "SCHEDULE",
    "listen_for_messages",
    "publish",
    "publish_message",
    "publish_schedule",
    "publisher_main",
    "run_both",
    "subscriber_main",
]

#: The channel both halves use.
CHANNEL = "holberton school channel"
#: The message that makes the subscriber stop.
KILL_SERVER = "KILL_SERVER"
#: The publisher's messages with their delays in ms from the start.
SCHEDULE: tuple[tuple[str, int], ...] = (
    ("Holberton Student #1 starts course", 100),
    ("Holberton Student #2 starts course", 200),
    (KILL_SERVER, 300),
    ("Holberton Student #3 starts course", 400),
)

#: How long the subscriber waits for a message before checking its stop event.
_POLL_SECONDS = 0.1


def _check_message(channel: Any, message: Any) -> None:
    check_key("channel", channel)
    if not isinstance(message, str):
        raise TypeError(f"message must be a string, not {type(message).__name__}")


def publish(channel: str, message: str) -> Conversation[int]:
    """The conversation that publishes ``message``; returns how many subscribers received it."""
    _check_message(channel, message)
    return int((yield ("PUBLISH", channel, message)))


def _check_delay(delay_ms: Any) -> float:
    if isinstance(delay_ms, bool) or not isinstance(delay_ms, int | float):
        raise TypeError(f"delay_ms must be a number of milliseconds, not {type(delay_ms).__name__}")
    if not math.isfinite(delay_ms) or delay_ms < 0:
        raise ValueError(f"delay_ms must be a finite number >= 0, got {delay_ms}")
    return float(delay_ms)


def publish_message(
    message: str,
    delay_ms: float,
    *,
    client: redis.Redis,
    channel: str = CHANNEL,
    sleep: Callable[[float], object] = time.sleep,
) -> int:
    """Wait ``delay_ms``, print ``About to send <message>``, publish it on ``channel``.

    Returns:
        how many subscribers received the message.

    Raises:
        TypeError: ``message`` is not a string or ``delay_ms`` is not a number.
        ValueError: ``delay_ms`` is negative or not finite, or ``channel`` is empty.
    """
    _check_message(channel, message)
    delay = _check_delay(delay_ms)
    if delay:
        sleep(delay / 1000)
    print(f"About to send {message}")
    return run(client, publish(channel, message))


def publish_schedule(
    schedule: Sequence[tuple[str, float]] = SCHEDULE,
    *,
    client: redis.Redis,
    channel: str = CHANNEL,
    sleep: Callable[[float], object] = time.sleep,
    after_publish: Callable[[str], object] | None = None,
) -> int:
    """Publish each ``(message, delay_ms)`` of ``schedule`` ``delay_ms`` after the start.

    Like the original's ``setTimeout`` calls, the delays count from the start,
    not from the previous message, so they must not decrease.
    ``after_publish(message)`` is called after each message is sent.

    Returns:
        how many messages were published.

    Raises:
        ValueError: the delays decrease, or one is invalid (see :func:`publish_message`).
        TypeError: a message or a delay has the wrong type.
    """
    delays = [_check_delay(delay) for _, delay in schedule]
    for (message, _), earlier, later in zip(schedule, [0.0, *delays], delays, strict=False):
        _check_message(channel, message)
        if later < earlier:
            raise ValueError(f"the schedule's delays must not decrease: {later} ms comes after {earlier} ms")
    elapsed = 0.0
    for (message, _), delay in zip(schedule, delays, strict=True):
        publish_message(message, delay - elapsed, client=client, channel=channel, sleep=sleep)
        elapsed = delay
        if after_publish is not None:
            after_publish(message)
    return len(delays)


class StopFlag(Protocol):
    """What tells :func:`listen_for_messages` to stop: a ``threading.Event``, or a signal's flag."""

    def is_set(self) -> bool:
        """Whether to stop now."""
        ...


def listen_for_messages(
    *,
    client: redis.Redis,
    channel: str = CHANNEL,
    stop: StopFlag | None = None,
    ready: threading.Event | None = None,
    on_message: Callable[[str], object] | None = None,
) -> list[str]:
    """Subscribe to ``channel`` and print every message until ``KILL_SERVER`` (printed too).

    Then unsubscribe and return the messages received. Setting ``stop`` (from
    another thread) makes it return within a tenth of a second; ``ready`` is
    set once the server has confirmed the subscription; ``on_message(text)``
    is called after each message is printed.

    Raises:
        ValueError: ``channel`` is empty.
        TypeError: ``channel`` is not a string.
    """
    check_key("channel", channel)
    stop = stop if stop is not None else threading.Event()
    received: list[str] = []
    pubsub = client.pubsub()
    try:
        pubsub.subscribe(channel)
        if not _wait_for(pubsub, "subscribe", stop):
            return received
        if ready is not None:
            ready.set()
        while not stop.is_set():
            message = pubsub.get_message(timeout=_POLL_SECONDS)
            if message is None or message["type"] != "message":
                continue
            text = as_text(message["data"])
            print(text)
            received.append(text)
            if on_message is not None:
                on_message(text)
            if text == KILL_SERVER:
                pubsub.unsubscribe(channel)
                _wait_for(pubsub, "unsubscribe", stop, limit=1.0)
                break
    finally:
        pubsub.close()
    return received


def _wait_for(pubsub: Any, kind: str, stop: StopFlag, limit: float | None = None) -> bool:
    """Read until a ``kind`` confirmation arrives; False if ``stop`` is set or ``limit`` s pass first."""
    deadline = None if limit is None else time.monotonic() + limit
    while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
        message = pubsub.get_message(timeout=_POLL_SECONDS)
        if message is not None and message["type"] == kind:
            return True
    return False


class _Delivery:
    """How many messages the subscriber has handled, and whether it has finished."""

    def __init__(self) -> None:
        self.handled = 0
        self.finished = False
        self.changed = threading.Condition()

    def note_message(self, _text: str) -> None:
        with self.changed:
            self.handled += 1
            self.changed.notify_all()

    def note_finished(self) -> None:
        with self.changed:
            self.finished = True
            self.changed.notify_all()

    def wait(self, sent: int, timeout: float) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.finished or self.handled >= sent, timeout):
                raise TimeoutError(f"the subscriber did not receive message {sent} within {timeout} s")


def run_both(
    url: str | None = None,
    *,
    schedule: Sequence[tuple[str, float]] = SCHEDULE,
    channel: str = CHANNEL,
    sleep: Callable[[float], object] = time.sleep,
    timeout: float = 10.0,
) -> list[str]:
    """Both halves of exercise 5 in one process: the subscriber in a thread, the publisher here.

    The subscriber connects and subscribes first; after each message the
    publisher waits until the subscriber has printed it (or has stopped), so
    the interleaved output is always the same. Used by ``queuesim tour`` and
    the notebook.

    Returns:
        the messages the subscriber received.

    Raises:
        TimeoutError: the subscriber did not subscribe, or did not receive a message, within ``timeout`` s.
    """
    sub_client = redis_client(url)
    ready = threading.Event()
    stop = threading.Event()
    delivery = _Delivery()
    received: list[str] = []
    errors: list[BaseException] = []

    def subscriber() -> None:
        try:
            messages = listen_for_messages(
                client=sub_client, channel=channel, stop=stop, ready=ready, on_message=delivery.note_message
            )
            received.extend(messages)
        except BaseException as exc:  # reported by the main thread after join
            errors.append(exc)
        finally:
            delivery.note_finished()
            ready.set()  # also wakes the main thread when the subscriber failed to start

    thread = threading.Thread(target=subscriber, name="5-subscriber")
    thread.start()
    pub_client: redis.Redis | None = None
    try:
        if not ready.wait(timeout):
            raise TimeoutError(f"the subscriber did not subscribe within {timeout} s")
        if not errors:
            pub_client = redis_client(url)
            count = 0

            def after_publish(_message: str) -> None:
                nonlocal count
                count += 1
                delivery.wait(count, timeout)

            publish_schedule(
                schedule, client=pub_client, channel=channel, sleep=sleep, after_publish=after_publish
            )
    finally:
        stop.set()
        thread.join()
        sub_client.close()
        if pub_client is not None:
            pub_client.close()
    if errors:
        raise errors[0]
    return received


def subscriber_main(url: str | None = None) -> int:
    """Run ``5-subscriber``: connect, print messages until ``KILL_SERVER`` or Ctrl-C/SIGTERM.

    Returns the exit code: 0 after ``KILL_SERVER``, 128 + the signal's number after a signal.
    """
    from queuesim.exercises.stopping import stop_on_signals  # command-line machinery, loaded when run

    client = redis_client(url)
    with stop_on_signals() as stopping:
        try:
            listen_for_messages(client=client, stop=stopping)
        finally:
            client.close()
    return stopping.exit_code


def publisher_main(url: str | None = None) -> int:
    """Run ``5-publisher``: connect, publish :data:`SCHEDULE`, exit. Returns the exit code."""
    client = redis_client(url)
    try:
        publish_schedule(client=client)
    finally:
        client.close()
    return 0
