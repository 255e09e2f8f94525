"""Queue fixtures: a queue factory on the test's store, a settable clock, and an invariant check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from shells import SHELLS, Shell  # tests/queue is on sys.path (rootdir-relative test modules)

from queuesim.queue import Queue
from queuesim.queue.invariants import check_invariants


class Clock:
    """A clock the test moves by hand (ms)."""

    def __init__(self, start: int = 1_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_queue(r: redis.Redis) -> Iterator[Callable[..., Queue]]:
    made: list[Queue] = []

    def make(name: str = "test", **kwargs: Any) -> Queue:
        kwargs.setdefault("redis", r)
        q = Queue(name, **kwargs)
        made.append(q)
        return q

    yield make
    for q in made:
        q.close()
        if not (q.test_mode.active and not q.test_mode.process):
            assert check_invariants(q.client, q.keys) == [], f"queue {q.name} is inconsistent"


@pytest.fixture
def queue(make_queue: Callable[..., Queue]) -> Queue:
    return make_queue()


@pytest.fixture(params=sorted(SHELLS))
def shell(request: pytest.FixtureRequest, r: redis.Redis) -> Iterator[Shell]:
    """The sync or the asyncio shell, on this test's store; its queues are checked for consistency after."""
    made = SHELLS[request.param](r)
    yield made
    made.close()
    for q in made.queues:
        if not (q.test_mode.active and not q.test_mode.process):
            assert check_invariants(r, q.keys) == [], f"queue {q.name} is inconsistent"
