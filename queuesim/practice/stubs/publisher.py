"""Task 5 — the publisher (the course's 5-publisher.js).

``publish_message(client, message, delay_ms)`` waits ``delay_ms``
milliseconds, prints ``About to send <message>``, and publishes ``message``
on the channel ``holberton school channel``.

``main(client)`` publishes, in this order, 100 ms apart:
``Holberton Student #1 starts course``, ``Holberton Student #2 starts course``,
``KILL_SERVER``, ``Holberton Student #3 starts course``.

Run it with the subscriber (see 5-subscriber.py).
Check it, from this folder: ``queuesim check 5-publisher``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

import redis

#: The channel both halves use.
CHANNEL = "holberton school channel"
#: The messages, in order.
MESSAGES = (
    "Holberton Student #1 starts course",
    "Holberton Student #2 starts course",
    "KILL_SERVER",
    "Holberton Student #3 starts course",
)


def publish_message(client: redis.Redis, message: str, delay_ms: float) -> None:
    """Wait ``delay_ms`` ms, print ``About to send <message>``, publish it on CHANNEL."""
    raise NotImplementedError("write publish_message")


def main(client: redis.Redis) -> None:
    """Publish MESSAGES in order, each 100 ms after the previous one."""
    raise NotImplementedError("write main")


if __name__ == "__main__":  # provided: runs main on REDIS_URL, else the embedded store
    from queuesim.practice.runtime import run_main

    run_main(main)
