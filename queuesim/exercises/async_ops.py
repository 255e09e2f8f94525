"""Exercise ``2-redis_op_async``: exercise ``1-redis_op`` with ``redis.asyncio`` and ``await``.

The Node original wrapped ``client.get`` with ``util.promisify`` so that
``displaySchoolValue`` could ``await`` it. Here the asyncio twins run the same
conversations as :mod:`queuesim.exercises.basics` on an asyncio client, so
the output is identical.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import redis.exceptions

from queuesim.connection import CONNECTED_MESSAGE, NOT_CONNECTED_MESSAGE, connect_async, mask_url, redis_url
from queuesim.drivers import run_async
from queuesim.errors import ConnectionFailed
from queuesim.exercises.basics import HOLBERTON, SAN_FRANCISCO, as_text, get_school, reply_line, set_school

__all__ = ["display_school_value_async", "main", "main_async", "redis_client_async", "set_new_school_async"]


async def redis_client_async(
    url: str | None = None,
    *,
    attempts: int = 3,
    backoff: float = 0.2,
    report: Callable[[str], None] | None = print,
) -> Any:
    """A checked ``redis.asyncio`` client (or fakeredis's on the embedded store).

    Prints the same connection messages as :func:`queuesim.exercises.client.redis_client`
    and, like it, gives up after ``attempts`` tries with a doubling ``backoff``.

    Raises:
        queuesim.InvalidURL: the URL is malformed.
        queuesim.ConnectionFailed: no server answered; the message names the URL, password masked.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    client = connect_async(url)
    delay = backoff
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            await client.ping()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            last = exc
            if report is not None:
                report(f"{NOT_CONNECTED_MESSAGE}: {exc}")
            if attempt < attempts:
                await asyncio.sleep(delay)
                delay *= 2
            continue
        if report is not None:
            report(CONNECTED_MESSAGE)
        return client
    await client.aclose()
    chosen = redis_url(url)
    where = mask_url(chosen) if chosen else "the embedded store"
    raise ConnectionFailed(f"no Redis server answered at {where} after {attempts} attempts: {last}") from last


async def set_new_school_async(name: str, value: str | int, *, client: Any) -> None:
    """Asyncio twin of :func:`~queuesim.exercises.basics.set_new_school`: SET, print ``Reply: OK``.

    Raises:
        TypeError: ``name`` is not a string, or ``value`` is neither a string nor an int.
        ValueError: ``name`` is empty.
    """
    print(reply_line(await run_async(client, set_school(name, value))))


async def display_school_value_async(name: str, *, client: Any) -> str | None:
    """Asyncio twin of :func:`~queuesim.exercises.basics.display_school_value`: GET, print, return.

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: ``name`` is empty.
    """
    value: str | None = as_text(await run_async(client, get_school(name)))
    print(value)
    return value


async def main_async(url: str | None = None) -> int:
    """The exercise as a coroutine (for callers that already run an event loop, e.g. a notebook)."""
    client = await redis_client_async(url)
    try:
        await display_school_value_async(HOLBERTON, client=client)
        await set_new_school_async(SAN_FRANCISCO, "100", client=client)
        await display_school_value_async(SAN_FRANCISCO, client=client)
    finally:
        await client.aclose()
    return 0


def main(url: str | None = None) -> int:
    """Run the exercise in a fresh event loop; returns the exit code."""
    return asyncio.run(main_async(url))
