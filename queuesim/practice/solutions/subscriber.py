"""Task 5's subscriber, solved with queuesim's (:func:`queuesim.exercises.pubsub.listen_for_messages`)."""

from __future__ import annotations

import redis

from queuesim.exercises import pubsub

#: The channel both halves use.
CHANNEL = pubsub.CHANNEL
#: The message that stops the subscriber.
KILL_SERVER = pubsub.KILL_SERVER


def subscriber(client: redis.Redis) -> None:
    """Print the messages of CHANNEL until KILL_SERVER (printed too), then unsubscribe and return."""
    pubsub.listen_for_messages(client=client, channel=CHANNEL)


if __name__ == "__main__":
    from queuesim.practice.runtime import run_main

    run_main(subscriber)
