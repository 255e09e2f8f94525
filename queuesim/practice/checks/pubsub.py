"""Task 5: the subscriber stops after KILL_SERVER; the publisher waits, says so, and publishes.

Each half is checked against queuesim's own other half (a subscription or
messages sent by the check), then the two of the learner's together.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import redis

from queuesim.exercises.pubsub import CHANNEL, KILL_SERVER, SCHEDULE
from queuesim.practice.grading import Check, Grader, need
from queuesim.practice.learner import Output, Running, capture, start
from queuesim.practice.stores import Store

__all__ = ["check_pubsub"]

_MESSAGES = [message for message, _ in SCHEDULE]
_HEARD = _MESSAGES[: _MESSAGES.index(KILL_SERVER) + 1]
_AFTER_KILL = _MESSAGES[-1]
_ANNOUNCED = [f"About to send {message}" for message in _MESSAGES]
#: Seconds a subscriber gets to subscribe, and to stop after KILL_SERVER.
_WAIT = 10.0


def _subscribed(client: redis.Redis, running: Running, deadline: float) -> bool:
    """Wait until someone subscribes to the channel (or the subscriber ended, or the deadline passed)."""
    while time.monotonic() < deadline and not running.done:
        counts = dict(client.pubsub_numsub(CHANNEL))
        if counts.get(CHANNEL, 0) > 0:
            return True
        time.sleep(0.01)
    return False


def _subscriber_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith("About to send ")]


def _run_subscriber(grader: Grader, check: Check, subscriber: Callable[..., Any],
                    publish: Callable[[redis.Redis], Any]) -> tuple[list[str], list[str], Store]:
    """Start ``subscriber``, wait until it subscribed, ``publish``, wait until it stopped; its lines and all lines."""
    store = Store()
    watcher = store.client()
    output: Output
    with capture() as output:
        running = start(subscriber, store.client(), files=grader.files())
        if not _subscribed(watcher, running, time.monotonic() + _WAIT):
            if running.done:
                running.wait(0, output)  # raises its error, or says it returned without listening
                check.fail(f"a subscription to {CHANNEL!r}", "subscriber returned without subscribing",
                           "subscribe-confirmation")
            store.server.connected = False  # ends a subscriber stuck elsewhere
            check.fail(f"a subscription to {CHANNEL!r}", f"no subscription within {_WAIT:g} s",
                       "subscribe-confirmation")
        publish(store.client())
        stopped = output.wait_for(lambda lines: running.done or _AFTER_KILL in lines, _WAIT)
        if not running.done:
            store.server.connected = False  # its next read fails, and it ends
            said = _subscriber_lines(output.lines)
            if _AFTER_KILL in said:
                check.fail(_HEARD, said, "kill-server")
            check.fail("it returns after KILL_SERVER", "it was still listening" if stopped else
                       f"it was still listening {_WAIT:g} s after KILL_SERVER", "kill-server")
        running.wait(0, output)
    return _subscriber_lines(output.lines), output.lines, store


def _publish_all(client: redis.Redis) -> None:
    for message in _MESSAGES:
        client.publish(CHANNEL, message)


def _listener(store: Store) -> Any:
    listener = store.client().pubsub()
    listener.subscribe(CHANNEL)
    listener.get_message(timeout=1.0)  # the subscription's confirmation
    return listener


def _received(listener: Any) -> list[str]:
    got = []
    while (message := listener.get_message(timeout=0.2)) is not None:
        if message["type"] == "message":
            got.append(message["data"])
    return got


def _check_subscriber(grader: Grader, module: ModuleType) -> None:
    store: Store | None = None
    with grader.check("the subscriber prints each message until KILL_SERVER (printed too), then stops",
                      "kill-server") as check:
        said, _, store = _run_subscriber(grader, check, need(module, "subscriber"), _publish_all)
        check.expect(_HEARD, said, diagnose=lambda lines: "subscribe-confirmation" if "1" in lines else None)
    if store is None:
        return
    with grader.check("after KILL_SERVER it has unsubscribed", "kill-server") as check:
        check.expect(0, dict(store.client().pubsub_numsub(CHANNEL)).get(CHANNEL, 0))
    store.close()


def _check_publisher(grader: Grader, module: ModuleType) -> None:
    with grader.check("publish_message waits delay_ms, prints 'About to send <message>', then publishes",
                      "delay-ms") as check:
        store = Store()
        listener = _listener(store)
        outcome = grader.call(need(module, "publish_message"), store.client(), "hello", 50, time_limit=_WAIT)
        check.expect(["About to send hello"], outcome.lines)
        check.expect(["hello"], _received(listener))
        check.require(outcome.seconds >= 0.05, "at least 50 ms before publishing (delay_ms=50)",
                      f"{outcome.seconds * 1000:.0f} ms")
        store.close()
    with grader.check("main announces and publishes the four messages, in order", "publish") as check:
        store = Store()
        listener = _listener(store)
        outcome = grader.call(need(module, "main"), store.client(), time_limit=_WAIT)
        check.expect(_ANNOUNCED, outcome.lines)
        check.expect(_MESSAGES, _received(listener))
        store.close()


def check_pubsub(grader: Grader) -> None:
    """Task 5 (``5-subscriber.py``, ``5-publisher.py``)."""
    grader.error_concepts.update({"did not return within": "delay-ms"})
    subscriber = grader.load("5-subscriber")
    publisher = grader.load("5-publisher")
    if subscriber is not None:
        _check_subscriber(grader, subscriber)
    if publisher is not None:
        _check_publisher(grader, publisher)
    if subscriber is None or publisher is None:
        return
    with grader.check("your subscriber hears your publisher's first three messages", "kill-server") as check:
        main = need(publisher, "main")
        said, lines, store = _run_subscriber(
            grader, check, need(subscriber, "subscriber"), lambda client: grader.call(main, client, keep_output=False)
        )
        check.expect(_HEARD, said)
        check.expect(_ANNOUNCED, [line for line in lines if line.startswith("About to send ")])
        store.close()
