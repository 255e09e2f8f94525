"""What a practice file runs when the learner starts it: ``python 1-redis_op.py``, ``python 9-stock.py``.

Each stub ends with ``if __name__ == "__main__":`` and one call from here, so a
learner's file runs as the course's did, on ``REDIS_URL`` when it is set, else
on the embedded store. Errors show with their traceback here: it is the
learner's own program (the checks never show one).
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import fakeredis
import redis
import redis.asyncio

from queuesim.connection import embedded_server, redis_url
from queuesim.exercises.store import DEFAULT_URL as STORE_URL
from queuesim.practice.loader import course_file, fresh_client
from queuesim.queue import Job, JobState, Queue, Worker

__all__ = [
    "course_file",
    "fresh_client",
    "learner_async_client",
    "learner_client",
    "run_creator",
    "run_main",
    "run_processor",
    "serve_seats",
    "serve_stock",
]

_TIMEOUT = 2.0
_FINISHED = {JobState.COMPLETE, JobState.FAILED}


def learner_client(url: str | None = None) -> redis.Redis:
    """A client of ``url`` (or ``REDIS_URL``), else of the embedded store; not checked (task 1 checks it)."""
    chosen = redis_url(url)
    if chosen is None:
        return fakeredis.FakeRedis(server=embedded_server(), decode_responses=True)
    return redis.Redis.from_url(
        chosen, decode_responses=True, socket_connect_timeout=_TIMEOUT, socket_timeout=_TIMEOUT
    )


def learner_async_client(url: str | None = None) -> Any:
    """An asyncio client of ``url`` (or ``REDIS_URL``), else of the embedded store."""
    chosen = redis_url(url)
    if chosen is None:
        return fakeredis.FakeAsyncRedis(server=embedded_server(), decode_responses=True)
    return redis.asyncio.Redis.from_url(
        chosen, decode_responses=True, socket_connect_timeout=_TIMEOUT, socket_timeout=_TIMEOUT
    )


def run_main(main: Callable[[Any], Any]) -> None:
    """Call ``main(client)``: with an asyncio client (in a new event loop) when ``main`` is ``async def``."""
    if inspect.iscoroutinefunction(main):
        asyncio.run(_run_async(main))
        return
    client = learner_client()
    try:
        main(client)
    finally:
        client.close()


async def _run_async(main: Callable[[Any], Any]) -> None:
    client = learner_async_client()
    try:
        await main(client)
    finally:
        await client.aclose()


def _alone_hint(name: str) -> None:
    if redis_url() is None:
        print(  # noqa: T201 - a hint on stderr for the learner's own program
            f"hint: this {name} uses the embedded store, which lives inside this process: the other half in "
            f"another terminal cannot reach it. Run `queuesim store` and set REDIS_URL={STORE_URL} in both.",
            file=sys.stderr,
        )


def run_creator(create: Callable[[Queue], Job | Sequence[Job]], queue_name: str, timeout: float = 60.0) -> None:
    """Run a job creator: ``create(queue)``, then wait for its jobs to finish (or ``timeout`` seconds)."""
    _alone_hint("creator")
    client = learner_client()
    queue = Queue(queue_name, redis=client)
    try:
        made = create(queue)
        jobs = [made] if isinstance(made, Job) else list(made)
        unfinished = [job.id or "?" for job in jobs if job.wait(timeout) not in _FINISHED]
        if unfinished:
            print(  # noqa: T201 - a hint on stderr for the learner's own program
                f"jobs {', '.join(unfinished)} did not finish within {timeout:g} s: is the processor running "
                "on the same Redis?",
                file=sys.stderr,
            )
    finally:
        queue.close()
        client.close()


def run_processor(make_worker: Callable[[Queue], Worker], queue_name: str) -> None:
    """Run a job processor: ``make_worker(queue).run()`` until Ctrl-C or SIGTERM."""
    _alone_hint("processor")
    client = learner_client()
    queue = Queue(queue_name, redis=client)
    try:
        make_worker(queue).run()
    finally:
        queue.close()
        client.close()


def serve_stock(solution: ModuleType, port: int = 1245) -> int:
    """Serve the learner's stock service (task 12) on ``port`` until Ctrl-C; returns the exit code."""
    from queuesim.practice.apps import create_stock_app
    from queuesim.web.serve import serve

    client = learner_client()
    try:
        return serve(create_stock_app(solution, client), port=port)
    finally:
        client.close()


def serve_seats(solution: ModuleType, port: int = 1245) -> int:
    """Serve the learner's seat service (task 13) on ``port`` until Ctrl-C; returns the exit code."""
    from queuesim.practice.apps import SeatApp, create_seats_app
    from queuesim.web.serve import serve

    client = learner_client()
    try:
        return serve(create_seats_app(solution, SeatApp(client)), port=port)
    finally:
        client.close()
