"""Between redis-py's world and the Lua store: command arguments in, raw replies out.

Arguments are encoded as redis-py's ``Encoder`` does (``str`` and ``bytes`` as they are,
``int``/``float`` by ``repr``, anything else a ``DataError``). Replies come back in the
form redis-py's RESP3 parser (redis-py 8's default protocol) gives before response
callbacks: ``int``, ``str``, ``None``, lists, maps as ``dict``, sets as ``set``, doubles
as ``float``, status texts as ``str``, and error replies as the exception redis-py would
make (``ResponseError``, ``NoScriptError``, ``ExecAbortError``, ...).
"""

from __future__ import annotations

from typing import Any

from redis._parsers.base import BaseParser
from redis.exceptions import DataError, ResponseError

__all__ = ["decode", "encode_args", "encode_one", "encode_words", "error_from", "to_bytes"]

def error_from(text: str) -> ResponseError:
    """The exception redis-py raises for an error reply ``text`` (``"ERR ..."``, ``"NOSCRIPT ..."``)."""
    error: ResponseError = BaseParser.parse_error(text)
    return error


def encode_one(value: Any) -> str | bytes:
    """One command word as redis-py's ``Encoder`` makes it (a ``DataError`` for a bool or another type)."""
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    if isinstance(value, bool):
        raise DataError(
            "Invalid input of type: 'bool'. Convert to a bytes, string, int or float first."
        )
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value if type(value) is str else value.encode()
    raise DataError(
        f"Invalid input of type: '{type(value).__name__}'. Convert to a bytes, string, int or float first."
    )


def encode_args(args: tuple[Any, ...]) -> tuple[Any, ...] | list[Any]:
    """Command words as the store takes them: ``str`` (or ``bytes``) each."""
    for a in args:
        if type(a) is not str:
            return encode_words(args)
    return args


def encode_words(args: tuple[Any, ...] | list[Any]) -> list[Any]:
    """:func:`encode_args` as a new list, whatever the words (for words that are seldom all ``str``)."""
    # str(i) is int.__repr__(i) for an int (not a bool), and the quickest way to it (lane.py inlines this)
    return [a if type(a) is str else (str(a) if type(a) is int else encode_one(a)) for a in args]


def _item(tokens: Any, i: int) -> tuple[Any, int]:
    v = tokens[i]
    if v is None:
        n = tokens[i + 1]
        if n >= 0:
            i += 2
            flat = tokens[i:i + n]
            if None not in flat:  # an array of plain values (the usual case): sliced in one go
                if False in flat:
                    return [None if x is False else x for x in flat], i + n
                return list(flat), i + n
            out: list[Any] = []
            for _ in range(n):
                item, i = _item(tokens, i)
                out.append(item)
            return out, i
        if n == -4:
            count = tokens[i + 2]
            i += 3
            mapping: dict[Any, Any] = {}
            for _ in range(count):
                key, i = _item(tokens, i)
                mapping[key], i = _item(tokens, i)
            return mapping, i
        if n == -5:
            count = tokens[i + 2]
            i += 3
            members = set()
            for _ in range(count):
                member, i = _item(tokens, i)
                members.add(member)
            return members, i
        if n == -6:
            return float(tokens[i + 2]), i + 3
        if n == -7:
            return int(tokens[i + 2]), i + 3
        if n == -1:
            return tokens[i + 2], i + 3
        return error_from(tokens[i + 2]), i + 3
    if v is False:
        return None, i + 1
    return v, i + 1


def decode(tokens: tuple[Any, ...]) -> Any:
    """A structured reply (array, status or error) from the store's token stream.

    Errors inside arrays (a transaction's or a pipeline's replies) become exception
    instances in place; a top-level error is returned as an exception instance too
    (the caller raises it).
    """
    n = tokens[1]
    if n == -3:  # too long to unpack: the tokens stayed in a Lua table
        table, count = tokens[2], tokens[3]
        tokens = tuple(table[i] for i in range(1, count + 1))
        n = tokens[1]
    if n >= 0 and len(tokens) == n + 2:
        items = tokens[2:]
        if None not in items:
            if False in items:  # also true when 0 is there; the identity test below sorts it out
                return [None if x is False else x for x in items]
            return list(items)
    value, _ = _item(tokens, 0)
    return value


def to_bytes(value: Any) -> Any:
    """A decoded reply with every ``str`` encoded to UTF-8 ``bytes`` (for ``decode_responses=False``)."""
    if type(value) is str:
        return value.encode()
    if type(value) is list:
        return [to_bytes(v) for v in value]
    if type(value) is dict:
        return {to_bytes(k): to_bytes(v) for k, v in value.items()}
    if type(value) is set:
        return {to_bytes(v) for v in value}
    return value
