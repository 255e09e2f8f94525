"""``queuesim tour``: exercises 1 to 5 in order, in one process, with a header per exercise.

The outputs are those of SPEC.md. Exercise 5's subscriber runs in a thread and
is joined before the tour ends, so the output is the same on every run (on a
fresh store: on a real server, re-running shows ``Reply: 0`` for fields the hash
already has, as SPEC.md says).
"""

from __future__ import annotations

from queuesim.connection import connect
from queuesim.exercises import get_exercise
from queuesim.exercises.pubsub import run_both
from queuesim.exercises.seed import SEED, seed_store

__all__ = ["header", "run_tour"]


def header(title: str) -> str:
    """The line printed before each part of the tour."""
    return f"== {title} =="


def run_tour(url: str | None = None) -> int:
    """Run the tour on ``url`` (``None``: ``REDIS_URL``, else the embedded store); returns the exit code."""
    first = get_exercise("0-redis_client")
    print(header(f"{first.name}: {first.summary}"))
    first.load()(url)

    seeded = ", ".join(f"{k}={v}" for k, v in SEED.items())
    print(header(f"seed: put {seeded} in the store"))
    client = connect(url)
    try:
        seed_store(client)
    finally:
        client.close()

    for name in ("1-redis_op", "2-redis_op_async", "4-redis_advanced_op"):
        exercise = get_exercise(name)
        print(header(f"{exercise.name}: {exercise.summary}"))
        exercise.load()(url)

    print(header("5-subscriber + 5-publisher: the subscriber (a thread) prints what the publisher sends"))
    run_both(url)
    return 0
