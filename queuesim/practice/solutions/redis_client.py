"""Task 1, solved: ping with bounded retries, say whether the server answered."""

from __future__ import annotations

import time

import redis

from queuesim.connection import CONNECTED_MESSAGE, NOT_CONNECTED_MESSAGE

#: Seconds to wait after the first failed attempt; doubled after each.
BACKOFF = 0.05


def redis_client(client: redis.Redis, attempts: int = 3) -> redis.Redis:
    """Check that ``client`` reaches its server, printing the outcome; return ``client``.

    Raises:
        redis.exceptions.ConnectionError: no answer after ``attempts`` attempts.
        ValueError: ``attempts`` is less than 1.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    delay = BACKOFF
    for attempt in range(1, attempts + 1):
        try:
            client.ping()
        except redis.exceptions.ConnectionError as error:
            print(f"{NOT_CONNECTED_MESSAGE}: {error}")
            if attempt == attempts:
                raise
            time.sleep(delay)
            delay *= 2
            continue
        print(CONNECTED_MESSAGE)
        break
    return client


if __name__ == "__main__":
    from queuesim.practice.runtime import run_main

    run_main(redis_client)
