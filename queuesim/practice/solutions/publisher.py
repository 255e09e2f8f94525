"""Task 5's publisher, solved with queuesim's (:func:`queuesim.exercises.pubsub.publish_message`)."""

from __future__ import annotations

import redis

from queuesim.exercises import pubsub

#: The channel both halves use.
CHANNEL = pubsub.CHANNEL
#: The messages, in order.
MESSAGES = tuple(message for message, _ in pubsub.SCHEDULE)
#: Milliseconds between two messages.
GAP_MS = 100


def publish_message(client: redis.Redis, message: str, delay_ms: float) -> None:
    """Wait ``delay_ms`` ms, print ``About to send <message>``, publish it on CHANNEL."""
    pubsub.publish_message(message, delay_ms, client=client, channel=CHANNEL)


def main(client: redis.Redis) -> None:
    """Publish MESSAGES in order, each 100 ms after the previous one."""
    for message in MESSAGES:
        publish_message(client, message, GAP_MS)


if __name__ == "__main__":
    from queuesim.practice.runtime import run_main

    run_main(main)
