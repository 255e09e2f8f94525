"""Task 4 — hashes (the course's 4-redis_advanced_op.js).

* ``create_hash(client)`` stores :data:`SCHOOLS` in the hash
  ``HolbertonSchools``, one HSET per field, printing each reply as
  ``Reply: <n>`` (1 for a new field; on a second run, 0);
* ``display_hash(client)`` reads the whole hash with HGETALL and prints it
  as a ``dict``: ``{'Portland': '50', 'Seattle': '80', ...}`` (Redis stores text);
* ``main(client)`` creates the hash, then displays it.

Run it: ``python 4-redis_advanced_op.py``.
Check it, from this folder: ``queuesim check 4-redis_advanced_op``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

import redis

#: The hash's name.
HASH_KEY = "HolbertonSchools"
#: Its fields and values, in the order they are set.
SCHOOLS = {"Portland": 50, "Seattle": 80, "New York": 20, "Bogota": 20, "Cali": 40, "Paris": 2}


def create_hash(client: redis.Redis) -> None:
    """HSET each school of SCHOOLS in HASH_KEY, printing ``Reply: <n>`` for each."""
    raise NotImplementedError("write create_hash")


def display_hash(client: redis.Redis) -> None:
    """HGETALL HASH_KEY and print it."""
    raise NotImplementedError("write display_hash")


def main(client: redis.Redis) -> None:
    """Create the hash, then display it."""
    raise NotImplementedError("write main")


if __name__ == "__main__":  # provided: runs main on REDIS_URL, else the embedded store
    from queuesim.practice.runtime import run_main

    run_main(main)
