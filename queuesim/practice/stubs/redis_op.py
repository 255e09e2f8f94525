"""Task 2 — basic operations (the course's 1-redis_op.js).

Write two functions:

* ``set_new_school(client, school_name, value)`` sets the key ``school_name``
  to ``value`` and prints the server's reply as ``Reply: OK`` (Node's
  ``redis.print``; redis-py answers ``True`` where the server said OK);
* ``display_school_value(client, school_name)`` prints the key's value.

Then ``main(client)`` calls, in this order: display ``Holberton``, set
``HolbertonSanFrancisco`` to ``100``, display ``HolbertonSanFrancisco``. On a
store seeded with Holberton=School it prints::

    School
    Reply: OK
    100

Run it: ``python 1-redis_op.py``.
Check it, from this folder: ``queuesim check 1-redis_op``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

import redis


def set_new_school(client: redis.Redis, school_name: str, value: str) -> None:
    """SET ``school_name`` to ``value``; print ``Reply: OK``."""
    raise NotImplementedError("write set_new_school")


def display_school_value(client: redis.Redis, school_name: str) -> None:
    """GET ``school_name``; print its value."""
    raise NotImplementedError("write display_school_value")


def main(client: redis.Redis) -> None:
    """Display Holberton, set HolbertonSanFrancisco to 100, display HolbertonSanFrancisco."""
    raise NotImplementedError("write main")


if __name__ == "__main__":  # provided: runs main on REDIS_URL, else the embedded store
    from queuesim.practice.runtime import run_main

    run_main(main)
