"""Task 2, solved with queuesim's exercise functions (:mod:`queuesim.exercises.basics`)."""

from __future__ import annotations

import redis

from queuesim.exercises import basics


def set_new_school(client: redis.Redis, school_name: str, value: str) -> None:
    """SET ``school_name`` to ``value``; print ``Reply: OK``."""
    basics.set_new_school(school_name, value, client=client)


def display_school_value(client: redis.Redis, school_name: str) -> None:
    """GET ``school_name``; print its value."""
    basics.display_school_value(school_name, client=client)


def main(client: redis.Redis) -> None:
    """Display Holberton, set HolbertonSanFrancisco to 100, display HolbertonSanFrancisco."""
    display_school_value(client, basics.HOLBERTON)
    set_new_school(client, basics.SAN_FRANCISCO, "100")
    display_school_value(client, basics.SAN_FRANCISCO)


if __name__ == "__main__":
    from queuesim.practice.runtime import run_main

    run_main(main)
