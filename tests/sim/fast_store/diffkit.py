"""Differential testing: run the same commands on several stores and compare replies and final data.

Stores: ``fake`` (fakeredis through SimStore, the simulation's default), ``fast``
(FastStore) and ``real`` (the server at REDIS_URL, when set). fakeredis and FastStore
share one settable clock; the real server keeps the wall clock, so tests that depend
on time pass times as arguments (as the queue's scripts do).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import redis

from queuesim.sim.fast_store import FastStore
from queuesim.sim.store import SimStore

REAL_URL = os.environ.get("REDIS_URL") or None
STREAM_ID = re.compile(r"^\d+-\d+$")


class ManualClock:
    """Seconds, moved by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Store:
    """One store under comparison and how to get more clients of it."""

    name: str
    factory: Callable[[], redis.Redis]
    clients: list[redis.Redis] = field(default_factory=list)

    def client(self) -> redis.Redis:
        c = self.factory()
        self.clients.append(c)
        return c


def make_stores(clock: ManualClock, *, real: bool = True) -> Iterator[list[Store]]:
    """The stores to compare: fake and fast always, real when REDIS_URL is set (and ``real``)."""
    sim = SimStore(clock)
    fast = FastStore(clock)
    stores = [
        Store("fake", lambda: sim.client(direct=True)),
        Store("fast", fast.client),
    ]
    if real and REAL_URL:
        def real_client() -> redis.Redis:
            return redis.Redis.from_url(REAL_URL, decode_responses=True, socket_timeout=10)

        stores.append(Store("real", real_client))
        first = stores[-1].client()
        first.flushdb()
        first.script_flush()
    yield stores
    for store in stores:
        if store.name == "real" and store.clients:
            store.clients[0].flushdb()
        for c in store.clients:
            c.close()


def outcome(fn: Callable[[], Any]) -> Any:
    """What a call gives: its value, or ("error", exception class name)."""
    try:
        return fn()
    except redis.exceptions.ResponseError as exc:
        return ("error", _error_kind(exc))


def _error_kind(exc: BaseException) -> str:
    """An error's class and its code word (messages differ between Redis versions and fakeredis)."""
    return type(exc).__name__


def normalize(value: Any) -> Any:
    """A reply with stream ids replaced by a placeholder, JSON objects parsed, exceptions by their kind."""
    if isinstance(value, BaseException):
        return ("error", _error_kind(value))
    if isinstance(value, str):
        if STREAM_ID.match(value):
            return "<id>"
        return value
    if isinstance(value, list | tuple):
        return type(value)(normalize(v) for v in value)
    if isinstance(value, dict):
        return {normalize(k): normalize(v) for k, v in value.items()}
    return value


def _json_or_text(text: str) -> Any:
    if text.startswith("{"):
        try:
            return ("json", json.loads(text))
        except ValueError:
            pass
    return text


def dump(client: redis.Redis) -> dict[str, Any]:
    """Every key's type and content (JSON texts parsed: object member order is not compared)."""
    out: dict[str, Any] = {}
    for key in sorted(client.keys("*")):
        kind = client.type(key)
        if kind == "string":
            content: Any = _json_or_text(client.get(key))
        elif kind == "hash":
            content = {f: _json_or_text(v) for f, v in client.hgetall(key).items()}
        elif kind == "list":
            content = client.lrange(key, 0, -1)
        elif kind == "set":
            content = sorted(client.smembers(key))
        elif kind == "zset":
            content = client.zrange(key, 0, -1, withscores=True)
        elif kind == "stream":
            content = [fields for _id, fields in client.xrange(key, "-", "+")]
        else:  # pragma: no cover - a type this harness does not know
            raise AssertionError(f"unexpected type {kind!r} at {key!r}")
        out[key] = (kind, content, client.pttl(key) > 0)
    return out


def assert_same(results: dict[str, Any], what: str = "reply") -> None:
    """All stores gave the same (normalized) result."""
    names = list(results)
    first = normalize(results[names[0]])
    for name in names[1:]:
        other = normalize(results[name])
        assert other == first, f"{what}: {names[0]} gave {first!r} but {name} gave {other!r}"


def assert_same_data(stores: list[Store]) -> None:
    """All stores hold the same data."""
    assert_same({s.name: dump(s.clients[0]) for s in stores}, "data")
