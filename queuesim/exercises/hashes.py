"""Exercise ``4-redis_advanced_op``: a hash of schools, one HSET per field, then HGETALL.

The Node original called ``client.hset('HolbertonSchools', city, n, redis.print)``
six times, printing ``Reply: 1`` for each new field (``Reply: 0`` when the
field already existed, e.g. on a second run), then logged the HGETALL object.
Python prints the mapping as a ``dict``; the values come back as strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis

from queuesim.drivers import Conversation, run
from queuesim.exercises._checks import check_key, check_value
from queuesim.exercises.basics import as_text, reply_line
from queuesim.exercises.client import redis_client

__all__ = [
    "HOLBERTON_SCHOOLS",
    "SCHOOLS",
    "display_hash",
    "get_hash",
    "main",
    "set_field",
    "set_hash_field",
]

#: The hash the exercise fills.
HOLBERTON_SCHOOLS = "HolbertonSchools"
#: Its fields, in the order they are set.
SCHOOLS: Mapping[str, int] = {
    "Portland": 50,
    "Seattle": 80,
    "New York": 20,
    "Bogota": 20,
    "Cali": 40,
    "Paris": 2,
}


def set_field(key: str, field: str, value: str | int) -> Conversation[int]:
    """The conversation that HSETs one field; returns 1 for a new field, 0 for an existing one."""
    check_key("hash name", key)
    check_key("field name", field)
    check_value("field value", value)
    return int((yield ("HSET", key, field, value)))


def get_hash(key: str) -> Conversation[dict[str, str]]:
    """The conversation that reads the whole hash (HGETALL); ``{}`` when it does not exist."""
    check_key("hash name", key)
    reply = yield ("HGETALL", key)
    return {as_text(k): as_text(v) for k, v in _pairs(reply)}


def _pairs(reply: Any) -> list[tuple[Any, Any]]:
    # redis-py maps HGETALL to a dict; a raw RESP2 reply is a flat list.
    if isinstance(reply, dict):
        return list(reply.items())
    return list(zip(reply[::2], reply[1::2], strict=True))


def set_hash_field(key: str, field: str, value: str | int, *, client: redis.Redis) -> int:
    """HSET ``field`` of hash ``key`` to ``value``, print ``Reply: <n>`` and return n (1 new, 0 updated).

    Raises:
        TypeError: a name is not a string, or ``value`` is neither a string nor an int.
        ValueError: a name is empty.
    """
    added = run(client, set_field(key, field, value))
    print(reply_line(added))
    return added


def display_hash(key: str, *, client: redis.Redis) -> dict[str, str]:
    """HGETALL hash ``key``, print it as a ``dict`` and return it.

    Raises:
        TypeError: ``key`` is not a string.
        ValueError: ``key`` is empty.
    """
    mapping = run(client, get_hash(key))
    print(mapping)
    return mapping


def main(url: str | None = None) -> int:
    """Run the exercise: HSET each school of :data:`SCHOOLS`, then display the hash."""
    client = redis_client(url)
    try:
        for city, count in SCHOOLS.items():
            set_hash_field(HOLBERTON_SCHOOLS, city, count, client=client)
        display_hash(HOLBERTON_SCHOOLS, client=client)
    finally:
        client.close()
    return 0
