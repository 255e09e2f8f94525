"""Redis clients for servers: bounded timeouts, one quick retry, a bounded pool, no check at start.

A web server must start even when Redis is down (it answers 503 until Redis is
back) and must never wait long for it, so these clients are not pinged when
made, time out after ``timeout`` seconds, and retry a failed command once at
once, instead of redis-py's default of ten retries with backoff. Their pool
holds at most ``max_connections`` connections; a request that finds them all
busy waits for one (the app's deadline bounds the wait) instead of failing.
With ``multiplex=True`` an asyncio client sends its plain commands over one
shared pipelined connection (:mod:`queuesim.web.multiplex`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import fakeredis
import redis
import redis.asyncio
import redis.asyncio.retry
import redis.backoff
import redis.retry

from queuesim.connection import embedded_server, redis_url

__all__ = ["DEFAULT_MAX_CONNECTIONS", "DEFAULT_TIMEOUT", "ClientKind", "server_client"]

#: Seconds allowed for connecting and for each command.
DEFAULT_TIMEOUT = 1.0
#: Connections one server process opens to Redis at most.
DEFAULT_MAX_CONNECTIONS = 64
# Seconds a command waits for a free pooled connection before failing (503).
_POOL_WAIT = 5.0


class ClientKind(StrEnum):
    """How request handlers talk to Redis."""

    ASYNC = "async"  #: ``redis.asyncio`` awaited on the event loop (the default: faster)
    SYNC = "sync"  #: ``redis.Redis`` in the threadpool


def server_client(
    url: str | None = None,
    kind: ClientKind | str = ClientKind.ASYNC,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    multiplex: bool = False,
) -> Any:
    """A client for a server: ``url`` (or ``REDIS_URL``), else the embedded store.

    ``multiplex``: an asyncio client for a Redis server is a
    :class:`~queuesim.web.multiplex.MultiplexedRedis` (plain commands share one
    pipelined connection); ignored for sync clients and the embedded store.

    Returns:
        a ``redis.asyncio.Redis`` for ``kind="async"``, a ``redis.Redis`` for ``"sync"``
        (fakeredis's on the embedded store).

    Raises:
        InvalidURL: the URL is malformed.
        ValueError: unknown ``kind`` or a timeout that is not > 0.
    """
    chosen_kind = ClientKind(kind)
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
        raise ValueError(f"max_connections must be an int >= 1, got {max_connections!r}")
    chosen = redis_url(url)
    if chosen is None:
        if chosen_kind is ClientKind.ASYNC:
            return fakeredis.FakeAsyncRedis(
                server=embedded_server(),
                decode_responses=True,
                connection_pool_class=redis.asyncio.BlockingConnectionPool,
                max_connections=max_connections,
            )
        return fakeredis.FakeRedis(
            server=embedded_server(),
            decode_responses=True,
            connection_pool_class=redis.BlockingConnectionPool,
            max_connections=max_connections,
        )
    options: dict[str, Any] = {
        "decode_responses": True,
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "max_connections": max_connections,
        "timeout": _POOL_WAIT,
    }
    if chosen_kind is ClientKind.ASYNC:
        retry_async = redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 1)
        pool = redis.asyncio.BlockingConnectionPool.from_url(chosen, retry=retry_async, **options)
        if multiplex:
            from queuesim.web.multiplex import MultiplexedRedis

            return MultiplexedRedis.from_pool(pool)
        return redis.asyncio.Redis.from_pool(pool)
    retry = redis.retry.Retry(redis.backoff.NoBackoff(), 1)
    return redis.Redis.from_pool(redis.BlockingConnectionPool.from_url(chosen, retry=retry, **options))
