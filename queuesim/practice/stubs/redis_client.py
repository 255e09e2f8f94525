"""Task 1 — a Redis client (the course's 0-redis_client.js).

Connect to Redis and say whether it worked:

* when the server answers, print ``Redis client connected to the server``;
* after each failed attempt, print
  ``Redis client not connected to the server: <the error's text>``;
* try at most ``attempts`` times, then raise the last error: a failed
  connection must not hang, and must not go unnoticed.

redis-py connects lazily: creating a client sends nothing. Send a command
(``client.ping()``) to find out; a server that does not answer makes it raise
``redis.exceptions.ConnectionError``.

queuesim provides the client (``REDIS_URL`` when set, else the embedded store).
Run it: ``python 0-redis_client.py``.
Check it, from this folder: ``queuesim check 0-redis_client``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

import redis


def redis_client(client: redis.Redis, attempts: int = 3) -> redis.Redis:
    """Check that ``client`` reaches its server, printing the outcome; return ``client``.

    Raises:
        redis.exceptions.ConnectionError: no answer after ``attempts`` attempts.
    """
    raise NotImplementedError("write redis_client")


if __name__ == "__main__":  # provided: runs your function on REDIS_URL, else the embedded store
    from queuesim.practice.runtime import run_main

    run_main(redis_client)
