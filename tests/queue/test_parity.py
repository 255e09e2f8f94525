"""Every public method of the sync shell has its asyncio twin, with the same parameters.

A twin is a coroutine function exactly where the sync method talks to Redis
(the ``PLAIN`` names are the ones that do not); properties exist on both.
The behaviour behind them is checked once for both shells in ``test_shells.py``.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from queuesim.queue import AsyncEventHub, AsyncJob, AsyncQueue, AsyncWorker, EventHub, Job, Queue, Worker

#: (sync class, asyncio twin, public methods that are plain functions in both: no I/O)
PAIRS: list[tuple[type, type, frozenset[str]]] = [
    (Queue, AsyncQueue, frozenset({"create"})),
    (Job, AsyncJob, frozenset({"to_dict", "from_record"})),
    (Worker, AsyncWorker, frozenset({"stop", "pause", "resume"})),
    (EventHub, AsyncEventHub, frozenset()),
]


def public(cls: type) -> dict[str, Any]:
    """The public attributes ``cls`` defines or inherits (methods, classmethods, properties)."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__[:-1]):  # object's attributes are nobody's API
        for name, value in vars(klass).items():
            if not name.startswith("_") and (callable(value) or isinstance(value, property | classmethod)):
                out[name] = value
    return out


def _function(value: Any) -> Any:
    return value.__func__ if isinstance(value, classmethod | staticmethod) else value


def _parameters(fn: Any) -> list[tuple[str, Any, Any]]:
    params = list(inspect.signature(fn).parameters.values())[1:]  # self / cls
    return [(p.name, p.kind, p.default) for p in params]


def mismatches(sync: type, twin: type, plain: frozenset[str]) -> list[str]:
    """Every way ``twin`` fails to mirror ``sync`` (an empty list when it is a faithful twin)."""
    problems: list[str] = []
    theirs = public(twin)
    for name, value in sorted(public(sync).items()):
        if name not in theirs:
            problems.append(f"{twin.__name__}.{name} is missing")
            continue
        other = theirs[name]
        if isinstance(value, property) or isinstance(other, property):
            if not (isinstance(value, property) and isinstance(other, property)):
                problems.append(f"{name}: a property on one side only")
            continue
        if isinstance(value, classmethod) != isinstance(other, classmethod):
            problems.append(f"{name}: a classmethod on one side only")
        fn, afn = _function(value), _function(other)
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            problems.append(f"{sync.__name__}.{name} is async")
        if name in plain:
            if inspect.iscoroutinefunction(afn) or inspect.isasyncgenfunction(afn):
                problems.append(f"{twin.__name__}.{name} should be a plain method (no I/O)")
        elif inspect.isgeneratorfunction(fn):
            if not inspect.isasyncgenfunction(afn):
                problems.append(f"{twin.__name__}.{name} should be an async generator")
        elif not inspect.iscoroutinefunction(afn):
            problems.append(f"{twin.__name__}.{name} should be a coroutine function")
        if _parameters(fn) != _parameters(afn):
            problems.append(f"{name}: parameters {_parameters(fn)} != {_parameters(afn)}")
    return problems


@pytest.mark.parametrize(("sync", "twin", "plain"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_every_sync_method_has_its_asyncio_twin(sync: type, twin: type, plain: frozenset[str]) -> None:
    assert mismatches(sync, twin, plain) == []


def test_the_issue_s_list_is_covered() -> None:
    """What the asyncio shell lacked before (issue 14) is there now."""
    wanted = {"stats", "names", "clean", "requeue", "set_priority", "is_paused", "promote", "recover_stalled",
              "on", "close", "run"}
    assert wanted <= set(public(AsyncQueue))
    assert {"on", "wait", "wait_result", "set_priority", "requeue", "get"} <= set(public(AsyncJob))
    assert {"history", "follow"} <= set(public(AsyncEventHub))


def test_the_check_catches_a_missing_or_mismatched_twin() -> None:
    class Sync:
        def fetch(self, n: int = 1) -> int:
            return n

        def gone(self) -> None:
            pass

        def plain(self) -> None:
            pass

    class Twin:
        def fetch(self, n: int = 2) -> int:  # not a coroutine, other default
            return n

        async def plain(self) -> None:
            pass

    problems = mismatches(Sync, Twin, frozenset({"plain"}))
    assert "Twin.gone is missing" in problems
    assert "Twin.fetch should be a coroutine function" in problems
    assert "Twin.plain should be a plain method (no I/O)" in problems
    assert [p for p in problems if p.startswith("fetch: parameters")]  # the default differs
    assert len(problems) == 4
