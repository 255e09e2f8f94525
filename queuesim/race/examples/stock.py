"""The stock reservation of the course ("In stock?"), four ways, in plain redis-py.

One product has 4 units in ``item.1``. Each client tries to reserve one unit and
returns ``True`` (reserved) or ``False`` (none left). The invariant: units reserved +
units remaining = 4, and never fewer than 0 remaining.

* :func:`reserve_naive`: the original's GET, check, SET. Two clients that read the
  same count both write "count − 1": a unit is sold twice (a lost update).
* :func:`reserve_falsy_zero`: correct locking, but the count is read as the original
  did, ``value || initialQuantity``: once the stock reaches 0 it reads as 4 again. Not
  a race: it fails with the clients one after the other.
* :func:`reserve_watch`: optimistic locking, WATCH the key, read it, write in
  MULTI/EXEC, try again if another client changed it meanwhile.
* :func:`reserve_lua`: one Lua script reads, checks and decrements in one step.

Try: ``queuesim race-check queuesim.race.examples.stock:reserve_naive --setup setup --invariant check``
"""

from __future__ import annotations

from typing import Any

import redis

__all__ = [
    "INITIAL_STOCK",
    "KEY",
    "RESERVE_LUA",
    "check",
    "count_holds",
    "reserve_falsy_zero",
    "reserve_lua",
    "reserve_naive",
    "reserve_watch",
    "setup",
]

#: The key holding the units left.
KEY = "item.1"
#: The units on sale.
INITIAL_STOCK = 4
#: The Lua version: read, check and decrement in one atomic step.
RESERVE_LUA = """
local stock = tonumber(redis.call('GET', KEYS[1]))
if stock < 1 then
  return 0
end
redis.call('DECR', KEYS[1])
return 1
"""


def setup(r: redis.Redis) -> None:
    """Put the units on sale."""
    r.set(KEY, INITIAL_STOCK)


def reserve_naive(r: redis.Redis, i: int) -> bool:
    """GET, check, SET: the original's code (racy)."""
    stock = int(r.get(KEY))
    if stock < 1:
        return False
    r.set(KEY, stock - 1)  # another client may have read the same stock meanwhile
    return True


def reserve_falsy_zero(r: redis.Redis, i: int) -> bool:
    """WATCH/MULTI, but 0 reads as the initial stock (the original's ``value || initialQuantity``)."""
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch(KEY)
                stock = int(pipe.get(KEY) or 0) or INITIAL_STOCK  # the bug: 0 is "no value"
                if stock < 1:
                    return False
                pipe.multi()
                pipe.set(KEY, stock - 1)
                pipe.execute()
                return True
            except redis.WatchError:
                continue


def reserve_watch(r: redis.Redis, i: int) -> bool:
    """WATCH, GET, MULTI/SET/EXEC, again if the key changed meanwhile (optimistic locking)."""
    with r.pipeline() as pipe:  # leaving the block UNWATCHes if still watching
        while True:
            try:
                pipe.watch(KEY)
                stock = int(pipe.get(KEY))
                if stock < 1:
                    return False
                pipe.multi()
                pipe.set(KEY, stock - 1)
                pipe.execute()  # raises WatchError if another client wrote KEY since the WATCH
                return True
            except redis.WatchError:
                continue


def reserve_lua(r: redis.Redis, i: int) -> bool:
    """One Lua script (EVALSHA, and EVAL's source once the server answers NOSCRIPT)."""
    reserve = r.register_script(RESERVE_LUA)
    return bool(reserve(keys=[KEY]) == 1)


def check(r: redis.Redis, results: list[Any]) -> bool | str:
    """Units reserved + units remaining = the initial stock, and remaining ≥ 0."""
    reserved = sum(1 for result in results if result is True)
    return count_holds(reserved, int(r.get(KEY)), INITIAL_STOCK)


def count_holds(taken: int, left: int, initial: int) -> bool | str:
    """``True`` if ``taken + left == initial`` and ``left >= 0``, else what is wrong."""
    if left < 0:
        return f"{left} left"
    if taken + left != initial:
        return f"{taken} taken + {left} left = {taken + left}, not {initial}"
    return True
