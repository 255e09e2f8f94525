"""Task 5 — the subscriber (the course's 5-subscriber.js).

``subscriber(client)`` subscribes to the channel ``holberton school channel``
and prints every message it receives. When the message is ``KILL_SERVER``, it
prints it, unsubscribes and returns: nothing after it is printed.

``client.pubsub()`` gives a subscription object; its ``listen()`` yields a dict
per event, the subscription's confirmation first (``type`` ``'subscribe'``),
then each message (``type`` ``'message'``, its text in ``data``).

Run it with the publisher: ``queuesim store`` in one terminal, then
``REDIS_URL=redis://127.0.0.1:6390/0 python 5-subscriber.py`` and
``REDIS_URL=redis://127.0.0.1:6390/0 python 5-publisher.py`` in two others.
Check it, from this folder: ``queuesim check 5-subscriber``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

import redis

#: The channel both halves use.
CHANNEL = "holberton school channel"
#: The message that stops the subscriber.
KILL_SERVER = "KILL_SERVER"


def subscriber(client: redis.Redis) -> None:
    """Print the messages of CHANNEL until KILL_SERVER (printed too), then unsubscribe and return."""
    raise NotImplementedError("write subscriber")


if __name__ == "__main__":  # provided: runs subscriber on REDIS_URL, else the embedded store
    from queuesim.practice.runtime import run_main

    run_main(subscriber)
