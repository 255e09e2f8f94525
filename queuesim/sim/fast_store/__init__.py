"""FastStore: an in-process Redis for simulations that runs the same Lua scripts, fast.

fakeredis runs a Lua script step in 60-100 µs (it scans Lua globals per ``redis.call``,
collects garbage per script and recompiles the script per call). FastStore keeps the
keyspace *inside* a LuaJIT state (lupa; Lua 5.1 when LuaJIT is missing) with every
command written in Lua, so a script's ``redis.call`` never leaves Lua, and compiles each
script once per SHA1. Python talks to it through :class:`FastClient`, a ``redis.Redis``
whose replies pass through redis-py's own response callbacks, so conversations, drivers
and redis-py methods see what they see from a real server::

    store = FastStore(SimClock(env).time)   # key expiry and stream ids follow the clock
    client = store.client()                 # one connection (WATCH/MULTI state lives on it)
    client.execute_command("SET", "k", 1)

Commands (arity, options and error replies as Redis 7.0):

* strings: GET SET (NX XX GET EX PX EXAT PXAT KEEPTTL) SETNX SETEX PSETEX GETDEL MGET MSET
  INCR DECR INCRBY DECRBY APPEND STRLEN
* keys and server: DEL UNLINK EXISTS TYPE EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT) TTL PTTL
  PERSIST KEYS SCAN (MATCH COUNT TYPE) DBSIZE FLUSHDB FLUSHALL RENAME PING ECHO TIME
  CONFIG GET (maxmemory-policy, stream-node-max-entries/bytes) PUBLISH (reaches nobody: 0)
* hashes: HSET HSETNX HMSET HGET HMGET HGETALL HKEYS HVALS HLEN HSTRLEN HEXISTS HDEL HINCRBY
* lists: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP (count) LLEN LRANGE LINDEX LSET LREM LTRIM LINSERT
  RPOPLPUSH LMOVE
* sets: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD
* sorted sets: ZADD (NX XX GT LT CH INCR) ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT
  ZRANGE (BYSCORE REV LIMIT WITHSCORES) ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE (LIMIT WITHSCORES,
  '(' bounds, -inf/+inf) ZPOPMIN ZPOPMAX (count) ZREMRANGEBYSCORE ZREMRANGEBYRANK
* streams: XADD (NOMKSTREAM, MAXLEN [=|~] n [LIMIT c], ids * / ms-* / ms-seq) XRANGE XREVRANGE
  (COUNT, '(' bounds) XLEN XREAD (COUNT, STREAMS; BLOCK only when data is there) XTRIM (MAXLEN) XDEL
* scripting: EVAL EVALSHA SCRIPT LOAD|EXISTS|FLUSH; in scripts redis.call, redis.pcall,
  redis.error_reply, redis.status_reply, redis.sha1hex, redis.log (no-op), cjson, bit
* transactions, per connection: MULTI EXEC DISCARD WATCH UNWATCH (EXEC answers nil when a
  watched key changed or expired since WATCH)

That covers every command queuesim's conversations, Lua scripts, queue, events and the
stock service send, apart from the blocking ones (BLPOP, XREAD BLOCK without data), which
cannot run where nothing else runs meanwhile. Any other command is a
``ResponseError("unknown command ...")``.

Known differences from Redis: blocking commands, pub/sub subscriptions, consumer groups,
MINID trimming, BYLEX ranges and INCRBYFLOAT are not there; values must be UTF-8 text (what a
``decode_responses=True`` client can read anyway); cjson.encode lists an object's members in
LuaJIT's table order, not Lua 5.1's (Redis's order is just as arbitrary); SMEMBERS and KEYS
come sorted; integer replies are exact up to 2^53 (stored integers are exact to 2^63); the
globals tables' contents (string, table, ...) are not write-protected; scripts run to the end
(no busy-script timeout).
"""

from __future__ import annotations

from collections.abc import Callable

from queuesim.sim.fast_store.client import FastClient, FastPipeline, FastStore

__all__ = ["FastClient", "FastPipeline", "FastStore", "fast_store"]


def fast_store(clock: Callable[[], float]) -> FastClient:
    """A client of a new FastStore on ``clock`` (seconds): a scenario's ``store`` factory."""
    return FastStore(clock).client()
