"""Make Redis clients: a real server named by a URL, or the embedded store.

``connect()`` is the only place queuesim builds a client. With a URL (or
``REDIS_URL`` in the environment) it talks to a real server; without one it
returns a client of the *embedded store*: a fakeredis server with Lua, shared
by every client made in this process, so a producer and a worker in the same
process see the same data, exactly as they would on a real server.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import fakeredis
import redis
import redis.asyncio

from queuesim.errors import ConnectionFailed, InvalidURL

__all__ = [
    "CONNECTED_MESSAGE",
    "NOT_CONNECTED_MESSAGE",
    "connect",
    "connect_async",
    "embedded_server",
    "mask_url",
    "redis_url",
]

log = logging.getLogger("queuesim")
# A library leaves output to the application: without this, Python's last-resort handler
# would print every retry warning to stderr, next to the lines ``report`` already printed.
log.addHandler(logging.NullHandler())

#: Printed by exercise 1 when the server answers.
CONNECTED_MESSAGE = "Redis client connected to the server"
#: Printed by exercise 1 on each failed attempt, followed by the client's error text.
NOT_CONNECTED_MESSAGE = "Redis client not connected to the server"

_SCHEMES = ("redis", "rediss", "unix")
_embedded_lock = threading.Lock()
_embedded: fakeredis.FakeServer | None = None


def embedded_server() -> fakeredis.FakeServer:
    """The process-wide embedded store, created (and seeded) on first use.

    Every client that ``connect()`` makes without a URL shares this server.
    """
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            _embedded = fakeredis.FakeServer()
            seed_client = fakeredis.FakeRedis(server=_embedded, decode_responses=True)
            # The course's "Redis instance" exercise ships a dump with this key; the
            # embedded store starts with it so every exercise runs on a fresh machine.
            seed_client.set("Holberton", "School", nx=True)
        return _embedded


def redis_url(url: str | None = None) -> str | None:
    """The URL to use: ``url`` if given, else ``REDIS_URL``, else ``None`` (embedded).

    Raises:
        InvalidURL: the URL is not a ``redis://``, ``rediss://`` or ``unix://`` URL.
    """
    chosen = url if url is not None else os.environ.get("REDIS_URL") or None
    if chosen is None:
        return None
    if not isinstance(chosen, str):
        raise TypeError(f"the Redis URL must be a string, not {type(chosen).__name__}")
    parts = urlsplit(chosen)
    if parts.scheme not in _SCHEMES:
        raise InvalidURL(
            f"Redis URL {mask_url(chosen)!r} must start with redis://, rediss:// or unix://"
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise InvalidURL(f"Redis URL {mask_url(chosen)!r} names no host")
    if parts.scheme == "unix" and not parts.path:
        raise InvalidURL(f"Redis URL {mask_url(chosen)!r} names no socket path")
    try:
        _ = parts.port
    except ValueError as exc:
        raise InvalidURL(f"Redis URL {mask_url(chosen)!r} has an invalid port") from exc
    db = parts.path.lstrip("/")
    if parts.scheme != "unix" and db and not db.isdigit():
        raise InvalidURL(f"Redis URL {mask_url(chosen)!r}: database {db!r} is not a number")
    return chosen


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe to print or log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    # Rebuild from the raw netloc: parts.port would raise on a malformed port (and the
    # message about that port must still be printable), and parts.hostname drops IPv6 brackets.
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    netloc = f"{user}:***@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def connect(
    url: str | None = None,
    *,
    attempts: int = 3,
    backoff: float = 0.2,
    timeout: float = 2.0,
    report: Callable[[str], None] | None = None,
    decode_responses: bool = True,
) -> redis.Redis:
    """A checked Redis client: the server at ``url`` (or ``REDIS_URL``), else the embedded store.

    The server is pinged before the client is returned. A failed attempt is
    reported and retried ``attempts`` times in all, waiting ``backoff`` seconds,
    then twice that, and so on; every socket operation has a ``timeout``, so a
    dead server never hangs the caller.

    Args:
        url: a ``redis://``, ``rediss://`` or ``unix://`` URL; ``None`` reads ``REDIS_URL``.
        attempts: how many times to try before giving up (at least 1).
        backoff: seconds to wait after the first failure; doubled after each.
        timeout: seconds allowed for connecting and for each command.
        report: called with ``CONNECTED_MESSAGE`` on success and with
            ``"Redis client not connected to the server: <error>"`` after each failure
            (exercise 1 passes ``print``).
        decode_responses: return ``str`` instead of ``bytes``.

    Raises:
        InvalidURL: the URL is malformed.
        ConnectionFailed: no server answered, or what answered is not a Redis server;
            the message names the URL, password masked.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    chosen = redis_url(url)
    if chosen is None:
        client: redis.Redis = fakeredis.FakeRedis(
            server=embedded_server(), decode_responses=decode_responses
        )
        if report is not None:
            report(CONNECTED_MESSAGE)
        return client
    client = redis.Redis.from_url(
        chosen,
        decode_responses=decode_responses,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        health_check_interval=30,
    )
    delay = backoff
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            client.ping()
        except redis.exceptions.InvalidResponse as exc:  # something answered, but not in Redis's protocol
            client.close()
            if report is not None:
                report(f"{NOT_CONNECTED_MESSAGE}: {exc}")
            raise ConnectionFailed(
                f"the server at {mask_url(chosen)} does not speak Redis's protocol (is that the right port?): {exc}"
            ) from exc
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            last = exc
            log.warning("connection attempt %d/%d to %s failed: %s", attempt, attempts, mask_url(chosen), exc)
            if report is not None:
                report(f"{NOT_CONNECTED_MESSAGE}: {exc}")
            if attempt < attempts:
                time.sleep(delay)
                delay *= 2
            continue
        if report is not None:
            report(CONNECTED_MESSAGE)
        return client
    client.close()
    raise ConnectionFailed(
        f"no Redis server answered at {mask_url(chosen)} after {attempts} attempts: {last}"
    ) from last


def connect_async(url: str | None = None, *, timeout: float = 2.0, decode_responses: bool = True) -> Any:
    """An asyncio client for ``url`` (or ``REDIS_URL``), else for the embedded store.

    The client is not pinged here (that needs a running loop): await
    ``client.ping()`` to check it, as exercise 3 does.

    Returns:
        a ``redis.asyncio.Redis`` (or ``fakeredis.FakeAsyncRedis`` on the embedded store).
    """
    chosen = redis_url(url)
    if chosen is None:
        return fakeredis.FakeAsyncRedis(server=embedded_server(), decode_responses=decode_responses)
    return redis.asyncio.Redis.from_url(
        chosen,
        decode_responses=decode_responses,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
    )
