"""Exercise ``0-redis_client``: connect to Redis and say whether it worked.

The Node original created a client and logged one line on its ``connect``
event, or one line per ``error`` event while the client kept retrying forever.
Here :func:`redis_client` prints the same lines but gives up after a bounded
number of attempts, raising :class:`queuesim.ConnectionFailed`.
"""

from __future__ import annotations

import redis

from queuesim.connection import connect

__all__ = ["main", "redis_client"]


def redis_client(url: str | None = None, *, attempts: int = 3, backoff: float = 0.2) -> redis.Redis:
    """A connected client, printing exercise 1's connection messages.

    Prints ``Redis client connected to the server`` on success, or
    ``Redis client not connected to the server: <error>`` after each failed
    attempt. ``url`` ``None`` means ``REDIS_URL``, else the embedded store.

    Raises:
        queuesim.InvalidURL: the URL is malformed.
        queuesim.ConnectionFailed: no server answered after ``attempts`` tries.
    """
    return connect(url, attempts=attempts, backoff=backoff, report=print)


def main(url: str | None = None) -> int:
    """Run the exercise: connect, print the outcome, disconnect. Returns the exit code."""
    client = redis_client(url)
    client.close()
    return 0
