"""Random command sequences over a few keys: FastStore gives fakeredis's (and real Redis's) replies and data."""

from __future__ import annotations

from typing import Any

from diffkit import ManualClock, assert_same, assert_same_data, make_stores, outcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = st.sampled_from(["a", "b", "c"])
MEMBERS = st.sampled_from(["m", "n", "o", "p"])
VALUES = st.sampled_from(["0", "1", "-1", "10", "x", "", "2.5", "abc", "9223372036854775807", "-9223372036854775808"])
SCORES = st.sampled_from(["0", "1", "-1", "2.5", "-inf", "+inf", "1e3", "x", "3"])
BOUNDS = st.sampled_from(["-inf", "+inf", "0", "1", "(1", "2.5", "(2.5", "(-inf", "x", "3"])
SMALL = st.integers(min_value=-3, max_value=5)


def cmd(*parts: Any) -> Any:
    """A strategy for one command: a tuple of fixed words and drawn values."""
    return st.tuples(*[p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts])


STRINGS = st.one_of(
    cmd("SET", KEYS, VALUES), cmd("SET", KEYS, VALUES, st.sampled_from(["NX", "XX", "GET"])), cmd("GET", KEYS),
    cmd("INCR", KEYS), cmd("INCRBY", KEYS, VALUES), cmd("DECRBY", KEYS, SMALL), cmd("APPEND", KEYS, VALUES),
    cmd("STRLEN", KEYS), cmd("GETDEL", KEYS), cmd("MGET", KEYS, KEYS), cmd("SETNX", KEYS, VALUES),
    cmd("DEL", KEYS, KEYS), cmd("EXISTS", KEYS, KEYS), cmd("TYPE", KEYS),
)
HASHES = st.one_of(
    cmd("HSET", KEYS, MEMBERS, VALUES), cmd("HSET", KEYS, MEMBERS, VALUES, MEMBERS, VALUES), cmd("HGET", KEYS, MEMBERS),
    cmd("HDEL", KEYS, MEMBERS, MEMBERS), cmd("HINCRBY", KEYS, MEMBERS, VALUES), cmd("HGETALL", KEYS),
    cmd("HKEYS", KEYS), cmd("HVALS", KEYS), cmd("HLEN", KEYS), cmd("HMGET", KEYS, MEMBERS, MEMBERS),
    cmd("HEXISTS", KEYS, MEMBERS), cmd("HSETNX", KEYS, MEMBERS, VALUES),
)
LISTS = st.one_of(
    cmd("LPUSH", KEYS, VALUES, VALUES), cmd("RPUSH", KEYS, VALUES), cmd("LPOP", KEYS), cmd("RPOP", KEYS, SMALL),
    cmd("LRANGE", KEYS, SMALL, SMALL), cmd("LINDEX", KEYS, SMALL), cmd("LLEN", KEYS), cmd("LREM", KEYS, SMALL, VALUES),
    cmd("LTRIM", KEYS, SMALL, SMALL), cmd("LSET", KEYS, SMALL, VALUES), cmd("RPOPLPUSH", KEYS, KEYS),
    cmd("LINSERT", KEYS, st.sampled_from(["BEFORE", "AFTER"]), VALUES, VALUES),
)
SETS = st.one_of(
    cmd("SADD", KEYS, MEMBERS, MEMBERS), cmd("SREM", KEYS, MEMBERS), cmd("SMEMBERS", KEYS),
    cmd("SISMEMBER", KEYS, MEMBERS), cmd("SCARD", KEYS),
)
ZADD_FLAGS = st.lists(st.sampled_from(["NX", "XX", "CH", "GT", "LT", "INCR"]), max_size=2, unique=True)
ZSETS = st.one_of(
    st.tuples(st.just("ZADD"), KEYS, ZADD_FLAGS, SCORES, MEMBERS).map(lambda t: (t[0], t[1], *t[2], t[3], t[4])),
    cmd("ZADD", KEYS, SCORES, MEMBERS, SCORES, MEMBERS), cmd("ZREM", KEYS, MEMBERS, MEMBERS),
    cmd("ZSCORE", KEYS, MEMBERS), cmd("ZINCRBY", KEYS, SCORES, MEMBERS), cmd("ZCARD", KEYS),
    cmd("ZRANGE", KEYS, SMALL, SMALL), cmd("ZRANGE", KEYS, SMALL, SMALL, "WITHSCORES"),
    cmd("ZREVRANGE", KEYS, SMALL, SMALL, "WITHSCORES"), cmd("ZRANGEBYSCORE", KEYS, BOUNDS, BOUNDS),
    cmd("ZRANGEBYSCORE", KEYS, BOUNDS, BOUNDS, "WITHSCORES", "LIMIT", SMALL, SMALL),
    cmd("ZREVRANGEBYSCORE", KEYS, BOUNDS, BOUNDS, "LIMIT", SMALL, SMALL), cmd("ZCOUNT", KEYS, BOUNDS, BOUNDS),
    cmd("ZRANGE", KEYS, BOUNDS, BOUNDS, "BYSCORE", "REV", "LIMIT", SMALL, SMALL),
    cmd("ZPOPMIN", KEYS), cmd("ZPOPMIN", KEYS, SMALL), cmd("ZPOPMAX", KEYS, SMALL), cmd("ZRANK", KEYS, MEMBERS),
    cmd("ZREVRANK", KEYS, MEMBERS), cmd("ZREMRANGEBYSCORE", KEYS, BOUNDS, BOUNDS),
    cmd("ZREMRANGEBYRANK", KEYS, SMALL, SMALL), cmd("ZMSCORE", KEYS, MEMBERS, MEMBERS),
)
STREAM_IDS = st.sampled_from(["1-1", "1-2", "2-0", "3", "5-*", "0-0", "0-1", "7-7", "x"])
STREAMS = st.one_of(
    cmd("XADD", KEYS, STREAM_IDS, MEMBERS, VALUES), cmd("XADD", KEYS, "MAXLEN", "~", SMALL, STREAM_IDS, "f", VALUES),
    cmd("XADD", KEYS, "MAXLEN", SMALL, STREAM_IDS, "f", VALUES), cmd("XLEN", KEYS), cmd("XRANGE", KEYS, "-", "+"),
    cmd("XRANGE", KEYS, STREAM_IDS, "+", "COUNT", st.integers(1, 3)), cmd("XREVRANGE", KEYS, "+", "-"),
    cmd("XTRIM", KEYS, "MAXLEN", SMALL),
    # well-formed ids only: fakeredis rejects a malformed one even when the key is missing (Redis answers 0)
    cmd("XDEL", KEYS, st.sampled_from(["1-1", "2-0", "3", "7-7"])),
)

COMMANDS = st.one_of(STRINGS, HASHES, LISTS, SETS, ZSETS, STREAMS)


def check(commands: list[tuple[Any, ...]]) -> None:
    """FastStore against the reference: real Redis when REDIS_URL is set, else fakeredis.

    (fakeredis itself differs from Redis in corners random sequences reach, e.g. XDEL
    with a malformed id on a missing key.)
    """
    for stores in make_stores(ManualClock()):
        reference = stores[-1] if stores[-1].name == "real" else stores[0]
        pair = [reference, next(s for s in stores if s.name == "fast")]
        for store in pair:
            store.client()
        for command in commands:
            assert_same({s.name: outcome(lambda s=s, c=command: s.clients[0].execute_command(*c)) for s in pair},
                        repr(command))
        assert_same_data(pair)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(COMMANDS, min_size=1, max_size=40))
def test_random_command_sequences(commands: list[tuple[Any, ...]]) -> None:
    check(commands)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ZSETS, min_size=1, max_size=60))
def test_random_sorted_set_sequences(commands: list[tuple[Any, ...]]) -> None:
    check(commands)
