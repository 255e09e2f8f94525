"""FastStore against fakeredis (and the real server when REDIS_URL is set): same commands, same replies and data."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from diffkit import ManualClock, Store, assert_same, assert_same_data, normalize, outcome

Command = tuple[Any, ...]


UNORDERED = {"KEYS"}  # Redis lists keys in hash-table order


def reply(store: Store, command: Command) -> Any:
    """A command's outcome on one store (sorted when Redis gives no order)."""
    result = outcome(lambda: store.clients[0].execute_command(*command))
    if command[0] in UNORDERED and isinstance(result, list):
        return sorted(result)
    return result


def run_all(stores: list[Store], commands: list[Command]) -> None:
    """Each command on every store, replies compared one by one; then the data."""
    for command in commands:
        assert_same({s.name: reply(s, command) for s in stores}, repr(command))
    assert_same_data(stores)


def test_strings_and_counters(stores: list[Store]) -> None:
    run_all(stores, [
        ("GET", "missing"), ("SET", "k", "v"), ("GET", "k"), ("SET", "k", "w", "NX"), ("SET", "k", "w", "XX"),
        ("SET", "n", "v", "XX"), ("SET", "k", "x", "GET"), ("SETNX", "k", "y"), ("SETNX", "k2", "y"),
        ("INCR", "c"), ("INCRBY", "c", 41), ("DECRBY", "c", 2), ("DECR", "c"), ("INCRBY", "c", -100),
        ("INCR", "k"), ("INCRBY", "c", "1.5"), ("INCRBY", "c", " 1"), ("APPEND", "k", "yz"), ("STRLEN", "k"),
        ("MSET", "a", 1, "b", 2), ("MGET", "a", "b", "missing", "c"), ("GETDEL", "a"), ("GETDEL", "a"),
        ("SET", "big", "9007199254740993"), ("INCR", "big"), ("GET", "big"),
        ("SET", "max", "9223372036854775807"), ("INCR", "max"), ("GET", "max"),
        ("SET", "f", 2.5), ("GET", "f"), ("SET", "i", 10**15), ("GET", "i"),
    ])


def test_keys_and_types(stores: list[Store]) -> None:
    run_all(stores, [
        ("SET", "s", "1"), ("HSET", "h", "f", "v"), ("RPUSH", "l", "a"), ("SADD", "set", "m"),
        ("ZADD", "z", 1, "m"), ("XADD", "x", "1-1", "f", "v"),
        *[("TYPE", k) for k in ("s", "h", "l", "set", "z", "x", "missing")],
        ("EXISTS", "s", "h", "missing", "s"), ("DEL", "s", "h", "missing"), ("EXISTS", "s", "h"),
        ("UNLINK", "l"), ("DBSIZE",), ("RENAME", "set", "set2"), ("RENAME", "missing", "x2"), ("TYPE", "set2"),
        ("HGET", "z", "f"), ("GET", "z"), ("LPUSH", "z", "a"), ("ZADD", "l2", 1, "a"), ("XLEN", "z"),
    ])


def test_hashes(stores: list[Store]) -> None:
    run_all(stores, [
        ("HSET", "h", "a", 1, "b", 2), ("HSET", "h", "a", 3, "c", 4), ("HGET", "h", "a"), ("HGET", "h", "zz"),
        ("HGET", "missing", "a"), ("HMGET", "h", "a", "zz", "c"), ("HGETALL", "h"), ("HGETALL", "missing"),
        ("HKEYS", "h"), ("HVALS", "h"), ("HLEN", "h"), ("HEXISTS", "h", "a"), ("HEXISTS", "h", "zz"),
        ("HSETNX", "h", "a", 9), ("HSETNX", "h", "d", 9), ("HINCRBY", "h", "n", 5), ("HINCRBY", "h", "n", -7),
        ("HINCRBY", "h", "a", "x"), ("HSET", "h", "t", "text"), ("HINCRBY", "h", "t", 1), ("HSTRLEN", "h", "t"),
        ("HDEL", "h", "a", "zz", "b"), ("HKEYS", "h"), ("HDEL", "h", "c", "d", "n", "t"), ("EXISTS", "h"),
        ("HSET", "h", "odd"), ("HMSET", "h2", "x", 1), ("HGETALL", "h2"),
    ])


def test_lists(stores: list[Store]) -> None:
    run_all(stores, [
        ("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l", "d", "e"), ("LRANGE", "l", 0, -1), ("LRANGE", "l", -2, 10),
        ("LRANGE", "l", 3, 1), ("LRANGE", "missing", 0, -1), ("LLEN", "l"), ("LINDEX", "l", -1),
        ("LINDEX", "l", 99), ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", 2), ("LPOP", "missing"),
        ("LPOP", "missing", 2), ("RPUSH", "l", "x", "a", "x", "x"), ("LREM", "l", 2, "x"), ("LRANGE", "l", 0, -1),
        ("LREM", "l", -1, "x"), ("LSET", "l", 0, "first"), ("LSET", "l", 99, "no"), ("LSET", "missing", 0, "no"),
        ("LINSERT", "l", "BEFORE", "first", "zero"), ("LINSERT", "l", "AFTER", "nope", "x"),
        ("LTRIM", "l", 1, -1), ("LRANGE", "l", 0, -1), ("RPOPLPUSH", "l", "l2"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
        ("LRANGE", "l2", 0, -1), ("LPUSHX", "missing", "a"), ("RPUSHX", "l2", "z"), ("LPOP", "l2", 10),
        ("EXISTS", "l2"), ("RPOPLPUSH", "l", "l"), ("LRANGE", "l", 0, -1),
    ])


def test_sets(stores: list[Store]) -> None:
    run_all(stores, [
        ("SADD", "s", "a", "b", "a"), ("SADD", "s", "c"), ("SMEMBERS", "s"), ("SMEMBERS", "missing"),
        ("SISMEMBER", "s", "a"), ("SISMEMBER", "s", "z"), ("SMISMEMBER", "s", "a", "z"), ("SCARD", "s"),
        ("SREM", "s", "a", "z"), ("SREM", "s", "b", "c"), ("EXISTS", "s"),
    ])


def test_sorted_sets(stores: list[Store]) -> None:
    run_all(stores, [
        ("ZADD", "z", 1, "a", 2, "b", 2, "c", 3.5, "d"), ("ZADD", "z", "XX", 10, "a", 10, "new"),
        ("ZADD", "z", "NX", 0, "a", 0, "e"), ("ZADD", "z", "CH", 1, "a", 2, "b", 7, "f"), ("ZADD", "z", "GT", 0, "f"),
        ("ZADD", "z", "LT", 0, "f"), ("ZADD", "z", "INCR", 2, "a"), ("ZADD", "z", "XX", "NX", 1, "a"),
        ("ZADD", "z", 1), ("ZADD", "z", "x", "a"), ("ZINCRBY", "z", 1.5, "g"), ("ZSCORE", "z", "g"),
        ("ZSCORE", "z", "zz"), ("ZMSCORE", "z", "a", "zz"), ("ZCARD", "z"), ("ZRANK", "z", "c"),
        ("ZREVRANK", "z", "c"), ("ZRANK", "z", "zz"),
        ("ZRANGE", "z", 0, -1), ("ZRANGE", "z", 0, -1, "WITHSCORES"), ("ZRANGE", "z", -3, -1),
        ("ZREVRANGE", "z", 0, 2, "WITHSCORES"), ("ZRANGE", "z", 1, 4, "BYSCORE"),
        ("ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", 1, 2), ("ZRANGE", "z", 4, 1, "BYSCORE", "REV"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf"), ("ZRANGEBYSCORE", "z", "(2", "3.5", "WITHSCORES"),
        ("ZRANGEBYSCORE", "z", "-inf", "(2"), ("ZRANGEBYSCORE", "z", 0, 100, "LIMIT", 0, 2),
        ("ZRANGEBYSCORE", "z", 0, 100, "LIMIT", 2, -1), ("ZRANGEBYSCORE", "z", 0, 100, "LIMIT", 0, 0),
        ("ZRANGEBYSCORE", "z", "x", 2), ("ZREVRANGEBYSCORE", "z", "+inf", "(2", "LIMIT", 0, 3),
        ("ZCOUNT", "z", "(1", 3.5), ("ZRANGE", "z", 0, -1, "LIMIT", 0, 1),
        ("ZPOPMIN", "z"), ("ZPOPMIN", "z", 2), ("ZPOPMAX", "z"), ("ZPOPMAX", "z", 2), ("ZPOPMIN", "missing"),
        ("ZPOPMIN", "missing", 3), ("ZPOPMIN", "z", -1),
        ("ZADD", "r", 1, "a", 2, "b", 3, "c", 4, "d"), ("ZREMRANGEBYSCORE", "r", "(1", 3),
        ("ZREMRANGEBYRANK", "r", 0, 0), ("ZRANGE", "r", 0, -1, "WITHSCORES"), ("ZREM", "r", "d", "zz"),
        ("EXISTS", "r"), ("ZADD", "ties", 0, "b", 0, "a", 0, "c", "-inf", "m", "+inf", "p"),
        ("ZRANGE", "ties", 0, -1, "WITHSCORES"), ("ZRANGEBYSCORE", "ties", "-inf", "(0"),
    ])


def test_a_big_sorted_set_keeps_order_across_chunks(stores: list[Store]) -> None:
    members = [(i * 7919 % 1000, f"m{i}") for i in range(600)]
    commands: list[Command] = [("ZADD", "z", *[x for s, m in members for x in (s, m)])]
    commands += [("ZREM", "z", *[f"m{i}" for i in range(0, 600, 3)])]
    commands += [("ZRANGE", "z", 0, -1, "WITHSCORES"), ("ZRANGE", "z", 250, 260), ("ZREVRANGE", "z", 10, 20),
                 ("ZRANK", "z", "m4"), ("ZREVRANK", "z", "m599"), ("ZCOUNT", "z", 100, "(500"),
                 ("ZRANGEBYSCORE", "z", "(300", 700, "LIMIT", 5, 40), ("ZREVRANGEBYSCORE", "z", 700, "(300"),
                 ("ZPOPMIN", "z", 150), ("ZPOPMAX", "z", 10), ("ZCARD", "z")]
    run_all(stores, commands)


def test_streams(stores: list[Store]) -> None:
    run_all(stores, [
        ("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "1-1", "a", "2"), ("XADD", "s", "0-0", "a", "2"),
        ("XADD", "s", "1-*", "b", "2"), ("XADD", "s", "5", "c", "3", "d", "4"), ("XADD", "s", "bad", "a", "1"),
        ("XADD", "s", "6-0", "odd"), ("XLEN", "s"), ("XRANGE", "s", "-", "+"), ("XRANGE", "s", "1", "1"),
        ("XRANGE", "s", "(1-1", "+", "COUNT", 1), ("XREVRANGE", "s", "+", "-", "COUNT", 2),
        ("XRANGE", "missing", "-", "+"), ("XREAD", "COUNT", 2, "STREAMS", "s", "missing", "1-1", "0"),
        ("XREAD", "STREAMS", "s", "$"), ("XREAD", "STREAMS", "s"), ("XDEL", "s", "1-2", "9-9"),
        ("XRANGE", "s", "-", "+"), ("XTRIM", "s", "MAXLEN", 1), ("XRANGE", "s", "-", "+"),
        ("XADD", "n", "NOMKSTREAM", "*", "a", "1"), ("EXISTS", "n"),
    ])


@pytest.mark.parametrize("size", [1, 7, 60, 400])
def test_xadd_maxlen_approx_keeps_what_redis_keeps(stores: list[Store], size: int) -> None:
    """MAXLEN ~ drops whole listpack nodes only; which entries remain depends on node sizes and counts."""
    value = "v" * size
    commands: list[Command] = []
    for i in range(1, 351):
        commands.append(("XADD", "s", "MAXLEN", "~", 120, f"{i}-0", "id", str(i), "event", "start", "args", value))
        if i % 50 == 0:
            commands.append(("XLEN", "s"))
    commands += [("XADD", "s", "MAXLEN", 100, "999-0", "x", "1"), ("XLEN", "s"),
                 ("XTRIM", "s", "MAXLEN", "~", 10), ("XLEN", "s"), ("XTRIM", "s", "MAXLEN", "=", 7), ("XLEN", "s"),
                 ("XADD", "s", "MAXLEN", "~", 5, "LIMIT", 50, "1000-0", "x", "1"), ("XLEN", "s")]
    run_all(stores, commands)


def test_stream_ids_follow_the_clock_in_fast_store(clock: ManualClock) -> None:
    from queuesim.sim.fast_store import FastStore

    r = FastStore(clock).client()
    clock.now = 12.3456
    assert r.execute_command("XADD", "s", "*", "a", "1") == "12345-0"
    assert r.execute_command("XADD", "s", "*", "a", "1") == "12345-1"
    clock.now = 12.0
    assert r.execute_command("XADD", "s", "*", "a", "1") == "12345-2"


def test_expiry_follows_the_clock(stores: list[Store], clock: ManualClock) -> None:
    stores = [s for s in stores if s.name != "real"]
    run_all(stores, [("SET", "a", "1", "PX", 1500), ("SET", "b", "1", "EX", 10), ("SET", "c", "1"),
                     ("EXPIRE", "c", 5), ("PEXPIRE", "c", 4000, "GT"), ("EXPIRE", "c", 100, "NX"),
                     ("TTL", "a"), ("PTTL", "b"), ("TTL", "missing"), ("TTL", "c"), ("PERSIST", "b"), ("TTL", "b"),
                     ("SETEX", "d", 2, "x"), ("PSETEX", "e", 3000, "y")])
    clock.now += 1.5
    run_all(stores, [("GET", "a"), ("PTTL", "a")])
    clock.now += 0.001
    run_all(stores, [("GET", "a"), ("EXISTS", "a"), ("GET", "d"), ("TTL", "c"), ("SET", "c", "2"), ("TTL", "c")])
    clock.now += 1
    run_all(stores, [("GET", "d"), ("GET", "e"), ("KEYS", "*"), ("DBSIZE",)])


def test_generic_server_commands(stores: list[Store]) -> None:
    run_all(stores, [("PING",), ("PING", "hi"), ("ECHO", "x"), ("SET", "a1", 1), ("SET", "a2", 1), ("SET", "b", 1),
                     ("KEYS", "a*"), ("KEYS", "?2"), ("KEYS", "[ab]*"), ("PUBLISH", "ch", "m"), ("FLUSHDB",),
                     ("DBSIZE",)])


def test_unknown_commands_and_arity(stores: list[Store]) -> None:
    run_all(stores, [("NOSUCH", "a"), ("GET",), ("GET", "a", "b"), ("HSET", "h", "f"), ("ZADD", "z", 1),
                     ("LPOP", "l", 1, 2), ("SET", "k", "v", "EX", 0), ("SET", "k", "v", "EX", "x"),
                     ("SET", "k", "v", "NX", "XX"), ("EXPIRE", "k", 10, "NX", "XX")])


# Script replies as Redis 7.0 gives them (checked against a real server when REDIS_URL is set);
# fakeredis is not the reference here: it fails on 1/0 and its cjson is Python's json.
ERROR = ("error", "ResponseError")
SCRIPT_REPLIES: list[tuple[str, Any]] = [
    ("return {1/0, -1/0, 3.7, -3.7, true, false, 'x', {ok='fine'}, {err='bad'}, nil, 5}",
     [-(2**63), -(2**63), 3, -3, 1, None, "x", "fine", ERROR]),
    ("return {1, {2, {3}}, redis.call('GET', 'nokey'), 5}", [1, [2, [3]], None, 5]),
    ("return redis.call('SET', KEYS[1], 'v')", "OK"),
    ("return redis.status_reply('FINE')", "FINE"),
    ("return redis.error_reply('My Error')", ERROR),
    ("return {err='bad thing'}", ERROR),
    ("return 12.9", 12),
    ("return -0.5", 0),
    ("return nil", None),
    ("return false", None),
    ("return true", 1),
    ("return {}", []),
    ("return 'text'", "text"),
    ("redis.call('SET', KEYS[1], 0.1); redis.call('RPUSH', 'l', 1e20, 4503621225663765, 2^53 + 1, -7, 3.25);"
     " return {redis.call('GET', KEYS[1]), redis.call('LRANGE', 'l', 0, -1)}",
     ["0.10000000000000001", ["1e+20", "4503621225663765", "9007199254740992", "-7", "3.25"]]),
    ("return {redis.call('HSET', 'h', 'a', 1), redis.call('HGETALL', 'h'), redis.call('ZADD', 'z', 1.5, 'm'),"
     " redis.call('ZRANGE', 'z', 0, -1, 'WITHSCORES'), redis.call('ZSCORE', 'z', 'm'), redis.call('TYPE', 'h'),"
     " redis.call('ZPOPMIN', 'z', 1), redis.call('SMEMBERS', 'nos'), redis.call('INCRBY', 'c', 5)}",
     [1, ["a", "1"], 1, ["m", "1.5"], "1.5", "hash", ["m", "1.5"], [], 5]),
    ("redis.call('HSET', 'h', 'a', 1) local ok = redis.pcall('INCR', 'h') return {type(ok), ok.err ~= nil}",
     ["table", 1]),
    ("redis.call('HSET', 'h', 'a', 1) local ok, e = pcall(redis.call, 'INCR', 'h') return {tostring(ok), type(e)}",
     ["false", "string"]),
    ("redis.call('HSET', 'h', 'a', 1) return redis.call('INCR', 'h')", ERROR),
    ("return redis.call('NOSUCH')", ERROR),
    ("return redis.call('GET')", ERROR),
    ("return redis.call('GET', {})", ERROR),
    ("return redis.pcall('NOSUCH')", ERROR),
    ("error('custom')", ERROR),
    ("error({err='WRONG custom'})", ERROR),
    ("return undefined_global", ERROR),
    ("x = 1", ERROR),
    ("return redis.call('EVAL', 'return 1', 0)", ERROR),
    ("return #KEYS + #ARGV * 10", 21),
    ("return {KEYS[1], ARGV[1], ARGV[2]}", ["k", "a1", "a2"]),
]


@pytest.mark.parametrize(("source", "expected"), SCRIPT_REPLIES)
def test_scripts_convert_values_like_redis(stores: list[Store], source: str, expected: Any) -> None:
    for store in stores:
        if store.name != "fake":
            got = outcome(lambda store=store: store.clients[0].execute_command("EVAL", source, 1, "k", "a1", "a2"))
            assert normalize(got) == expected, store.name


# FastStore keeps the table a flat object's encoding decodes to, and hands it over to the next
# decode of that text (a job's claim stores the record its finish loads): that table must be
# exactly what parsing gives (numbers as their text reads back, -0, null, escapes), and once
# handed over it is the caller's: changing it must not change what the text decodes to next.
KEPT_DECODE = """
local t = {id = '7', n = 0.1 + 0.2, big = 2^53 + 1, third = 1/3, neg = -0.0, zero = 0, ms = 1764633600123,
           s = 'a"b/' .. string.char(1), long = string.rep('x', 50), yes = true, no = false, none = cjson.null}
local text = cjson.encode(t)
local first = cjson.decode(text)
local snapshot = {}
for k, v in pairs(first) do snapshot[k] = v end
first.n = 'changed'
local second = cjson.decode(text)
local differ = {}
for k, v in pairs(snapshot) do
  local w = second[k]
  if type(v) ~= type(w) or v ~= w or (type(v) == 'number' and 1 / v ~= 1 / w) then differ[#differ + 1] = k end
end
for k in pairs(second) do if snapshot[k] == nil then differ[#differ + 1] = k end end
table.sort(differ)
return {#differ, table.concat(differ, ','), tostring(second.n == first.n), tostring(second.n), second.long == t.long}
"""


def test_a_decoded_record_is_what_parsing_gives(stores: list[Store]) -> None:
    for store in stores:
        if store.name != "fake":
            got = store.clients[0].execute_command("EVAL", KEPT_DECODE, 0)
            assert got == [0, "", "false", "0.3", 1], store.name


def test_script_argument_errors(stores: list[Store]) -> None:
    run_all(stores, [("EVAL", "return 1", -1), ("EVAL", "return 1", 2, "k"), ("EVAL", "return 1", "x"),
                     ("EVAL", "return (", 0), ("EVALSHA", "0" * 40, 0), ("SCRIPT", "EXISTS", "0" * 40)])


def test_script_errors_name_the_script_like_redis() -> None:
    from queuesim.sim.fast_store import FastStore

    r = FastStore().client()
    r.execute_command("SET", "s", "text")
    with pytest.raises(redis.ResponseError, match=r"^value is not an integer or out of range script: [0-9a-f]{40}"):
        r.execute_command("EVAL", "return redis.call('INCR', KEYS[1])", 1, "s")
    with pytest.raises(redis.ResponseError, match=r"^user_script:2: custom script: [0-9a-f]{40}, on @user_script:2\.$"):
        r.execute_command("EVAL", "local x = 1\nerror('custom')", 0)
    with pytest.raises(redis.exceptions.NoScriptError):
        r.execute_command("EVALSHA", "f" * 40, 0)


def test_script_load_and_evalsha(stores: list[Store]) -> None:
    source = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
    shas = {s.name: s.clients[0].execute_command("SCRIPT", "LOAD", source) for s in stores}
    assert_same(shas)
    sha = shas["fake"]
    run_all(stores, [("EVALSHA", sha, 1, "c", 5),
                     ("SCRIPT", "EXISTS", sha, "f" * 40), ("SCRIPT", "FLUSH"), ("EVALSHA", sha, 1, "c", 5)])


CJSON: list[tuple[str, Any]] = [
    ("return cjson.encode({string.char(127), '/', 'a\"b', string.char(1), '\\n\\t', 1e14, 99999999999999,"
     " 123456789012345678, 0.1, -0.0, 1/3, {}, {1, 2, nil, 4}, true, false, cjson.null})",
     '["\\u007f","\\/","a\\"b","\\u0001","\\n\\t",1e+14,99999999999999,1.2345678901235e+17,0.1,-0,'
     '0.33333333333333,{},[1,2,null,4],true,false,null]'),
    ("return cjson.encode({a = {b = {1, 2}}})", '{"a":{"b":[1,2]}}'),
    ("return cjson.encode({[1] = 'a', [2] = 'b'})", '["a","b"]'),
    ("return cjson.encode({[2] = 'b'})", '[null,"b"]'),
    ("return cjson.encode('x/y')", '"x\\/y"'),
    ("return cjson.encode(42)", "42"),
    ("return cjson.encode({[20] = 1})", ERROR),
    ("return cjson.encode({1/0})", ERROR),
    ("return cjson.encode({f = print})", ERROR),
    ("local t = cjson.decode('{\"a\":[1,2.5,\"x\",null,true,false,{\"b\":\"\\\\u00e9\\\\/\\\\n\"}],\"c\":-1e3}');"
     " return {t.a[1], t.a[2] * 2, t.a[3], t.a[4] == cjson.null, t.a[5], tostring(t.a[6]), t.a[7].b, t.c}",
     [1, 5, "x", 1, 1, "false", "é/\n", -1000]),
    ("local t = cjson.decode(' [ 1 , { \"k\" : \"v\" } ] ') return {#t, t[2].k}", [2, "v"]),
    ("return cjson.decode('\"\\\\ud83d\\\\ude00\"')", "\U0001f600"),
    ("return cjson.decode('{\"a\":1')", ERROR),
    ("return cjson.decode('[1,]')", ERROR),
    ("local t = cjson.decode('{\"id\":\"7\",\"n\":3}') t.n = t.n + 1 return cjson.decode(cjson.encode(t)).n", 4),
]


@pytest.mark.parametrize(("source", "expected"), CJSON)
def test_cjson_like_redis(stores: list[Store], source: str, expected: Any) -> None:
    for store in stores:
        if store.name != "fake":
            got = outcome(lambda store=store: store.clients[0].execute_command("EVAL", source, 0))
            assert normalize(got) == expected, store.name
