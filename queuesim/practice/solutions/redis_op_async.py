"""Task 3, solved with queuesim's asyncio exercise functions (:mod:`queuesim.exercises.async_ops`)."""

from __future__ import annotations

from typing import Any

from queuesim.exercises import async_ops, basics


async def set_new_school(client: Any, school_name: str, value: str) -> None:
    """SET ``school_name`` to ``value`` (awaited); print ``Reply: OK``."""
    await async_ops.set_new_school_async(school_name, value, client=client)


async def display_school_value(client: Any, school_name: str) -> None:
    """GET ``school_name`` (awaited); print its value."""
    await async_ops.display_school_value_async(school_name, client=client)


async def main(client: Any) -> None:
    """Display Holberton, set HolbertonSanFrancisco to 100, display HolbertonSanFrancisco."""
    await display_school_value(client, basics.HOLBERTON)
    await set_new_school(client, basics.SAN_FRANCISCO, "100")
    await display_school_value(client, basics.SAN_FRANCISCO)


if __name__ == "__main__":
    from queuesim.practice.runtime import run_main

    run_main(main)
