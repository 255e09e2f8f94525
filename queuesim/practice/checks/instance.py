"""Task 0: the Redis server named by ``REDIS_URL`` holds the course's key (``Holberton`` = ``School``)."""

from __future__ import annotations

from queuesim.connection import connect, mask_url, redis_url
from queuesim.errors import ConnectionFailed
from queuesim.exercises.seed import SEED
from queuesim.practice.grading import Grader

__all__ = ["check_instance"]


def check_instance(grader: Grader) -> None:
    """The Redis server named by ``REDIS_URL`` answers and holds the seeded key.

    Without ``REDIS_URL`` the task is not done: the embedded store holds the key
    from the start, so it would prove nothing about a server of the learner's.
    """
    url = redis_url()
    if url is None:
        with grader.check("REDIS_URL names your Redis server", "redis-server") as check:
            check.fail("REDIS_URL set to your server, e.g. `export REDIS_URL=redis://127.0.0.1:6379/0`",
                       "REDIS_URL is not set: task 0 is a Redis server of your own, and without REDIS_URL queuesim "
                       "uses its embedded store, which holds Holberton=School from the start")
        return
    where = mask_url(url)
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
