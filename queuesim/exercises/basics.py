"""Exercise ``1-redis_op``: SET a school's value and GET it back.

The Node original passed callbacks: ``client.set(name, value, redis.print)``
printed ``Reply: OK`` and ``client.get(name, cb)`` logged the value. Here each
operation is a *conversation* (a generator that yields one command and
returns the reply, see :mod:`queuesim.drivers`) run by a driver; exercise
``2-redis_op_async`` runs the very same conversations with ``redis.asyncio``.
"""

from __future__ import annotations

from typing import Any

import redis

from queuesim.drivers import Conversation, run
from queuesim.exercises._checks import check_key, check_value
from queuesim.exercises.client import redis_client

__all__ = [
    "HOLBERTON",
    "SAN_FRANCISCO",
    "as_text",
    "display_school_value",
    "get_school",
    "main",
    "reply_line",
    "set_new_school",
    "set_school",
]

#: The key the seed step stores (value ``School``).
HOLBERTON = "Holberton"
#: The key the exercise sets (to ``100``).
SAN_FRANCISCO = "HolbertonSanFrancisco"


def set_school(name: str, value: str | int) -> Conversation[Any]:
    """The conversation that sets ``name`` to ``value``; returns the server's reply.

    The arguments are checked when the conversation starts, before it yields its command.
    """
    check_key("school name", name)
    check_value("school value", value)
    return (yield ("SET", name, value))


def get_school(name: str) -> Conversation[Any]:
    """The conversation that reads ``name``; returns its value (``None`` when missing)."""
    check_key("school name", name)
    return (yield ("GET", name))


def reply_line(reply: Any) -> str:
    """``Reply: <reply>``, as Node's ``redis.print`` wrote it.

    redis-py turns the server's ``OK`` status into ``True``; it is shown as ``OK`` again.
    """
    if reply is True:
        reply = "OK"
    elif isinstance(reply, bytes):
        reply = reply.decode()
    return f"Reply: {reply}"


def as_text(value: Any) -> Any:
    """``value`` decoded to ``str`` when it is ``bytes`` (a client without ``decode_responses``)."""
    return value.decode() if isinstance(value, bytes) else value


def set_new_school(name: str, value: str | int, *, client: redis.Redis) -> None:
    """SET ``name`` to ``value`` and print ``Reply: OK``.

    ``value`` may be a string or an integer (Redis stores both as a string).

    Raises:
        TypeError: ``name`` is not a string, or ``value`` is neither a string nor an int.
        ValueError: ``name`` is empty.
    """
    print(reply_line(run(client, set_school(name, value))))


def display_school_value(name: str, *, client: redis.Redis) -> str | None:
    """GET ``name``, print its value and return it (``None``, printed as ``None``, when missing).

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: ``name`` is empty.
    """
    value: str | None = as_text(run(client, get_school(name)))
    print(value)
    return value


def main(url: str | None = None) -> int:
    """Run the exercise: display ``Holberton``, set ``HolbertonSanFrancisco`` to 100, display it."""
    client = redis_client(url)
    try:
        display_school_value(HOLBERTON, client=client)
        set_new_school(SAN_FRANCISCO, "100", client=client)
        display_school_value(SAN_FRANCISCO, client=client)
    finally:
        client.close()
    return 0
