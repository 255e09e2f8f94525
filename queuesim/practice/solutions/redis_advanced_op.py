"""Task 4, solved with queuesim's exercise functions (:mod:`queuesim.exercises.hashes`)."""

from __future__ import annotations

import redis

from queuesim.exercises import hashes

#: The hash's name.
HASH_KEY = hashes.HOLBERTON_SCHOOLS
#: Its fields and values, in the order they are set.
SCHOOLS = dict(hashes.SCHOOLS)


def create_hash(client: redis.Redis) -> None:
    """HSET each school of SCHOOLS in HASH_KEY, printing ``Reply: <n>`` for each."""
    for city, count in SCHOOLS.items():
        hashes.set_hash_field(HASH_KEY, city, count, client=client)


def display_hash(client: redis.Redis) -> None:
    """HGETALL HASH_KEY and print it."""
    hashes.display_hash(HASH_KEY, client=client)


def main(client: redis.Redis) -> None:
    """Create the hash, then display it."""
    create_hash(client)
    display_hash(client)


if __name__ == "__main__":
    from queuesim.practice.runtime import run_main

    run_main(main)
