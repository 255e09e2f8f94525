"""Task 0: the Redis instance holds the course's key (``Holberton`` = ``School``)."""

from __future__ import annotations

from queuesim.connection import connect, mask_url, redis_url
from queuesim.errors import ConnectionFailed
from queuesim.exercises.seed import SEED
from queuesim.practice.grading import Grader

__all__ = ["check_instance"]


def check_instance(grader: Grader) -> None:
    """The store named by ``REDIS_URL`` (else the embedded store) answers and holds the seeded key."""
    url = redis_url()
    where = "the embedded store" if url is None else mask_url(url)
    with grader.check(f"{where} answers", "redis-server") as check:
        try:
            client = connect(url, attempts=1)
        except ConnectionFailed as failed:
            check.fail("a Redis server answering at REDIS_URL", str(failed))
        client.close()
    with grader.check(f"{where} holds Holberton = School", "seed") as check:
        client = connect(url, attempts=1)
        try:
            for key, value in SEED.items():
                check.expect(value, client.get(key))
        finally:
            client.close()
    if url is None:
        grader.note("the embedded store holds Holberton=School from the start; to do task 0 for real, run a "
                    "Redis server, set REDIS_URL and run `queuesim seed` (or `redis-cli SET Holberton School`)")
