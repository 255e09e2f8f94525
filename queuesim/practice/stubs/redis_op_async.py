"""Task 3 — async operations (the course's 2-redis_op_async.js).

Task 2 again, with ``redis.asyncio``: each function is a coroutine function
(``async def``) and awaits every Redis call. The client is a
``redis.asyncio.Redis``. The output is the same::

    School
    Reply: OK
    100

Run it: ``python 2-redis_op_async.py``.
Check it, from this folder: ``queuesim check 2-redis_op_async``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

from typing import Any


async def set_new_school(client: Any, school_name: str, value: str) -> None:
    """SET ``school_name`` to ``value`` (awaited); print ``Reply: OK``."""
    raise NotImplementedError("write set_new_school")


async def display_school_value(client: Any, school_name: str) -> None:
    """GET ``school_name`` (awaited); print its value."""
    raise NotImplementedError("write display_school_value")


async def main(client: Any) -> None:
    """Display Holberton, set HolbertonSanFrancisco to 100, display HolbertonSanFrancisco."""
    raise NotImplementedError("write main")


if __name__ == "__main__":  # provided: runs main in an event loop, on REDIS_URL or the embedded store
    from queuesim.practice.runtime import run_main

    run_main(main)
