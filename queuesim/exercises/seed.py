"""Exercise 0's data: the key ``Holberton`` holds ``School``.

The course shipped a ``dump.rdb`` file with this key; queuesim has a seed
step instead, so no binary is committed. The embedded store is seeded when it
is created; ``queuesim seed`` seeds a real server.
"""

from __future__ import annotations

import redis

from queuesim.drivers import Conversation, run

__all__ = ["SEED", "seed_store", "seeding"]

#: The seeded keys and their values.
SEED: dict[str, str] = {"Holberton": "School"}


def seeding() -> Conversation[None]:
    """The conversation that writes :data:`SEED` (overwriting those keys, leaving others alone)."""
    for key, value in SEED.items():
        yield ("SET", key, value)


def seed_store(client: redis.Redis) -> dict[str, str]:
    """Write :data:`SEED` into the store behind ``client``; returns what was written."""
    run(client, seeding())
    return dict(SEED)
