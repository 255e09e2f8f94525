"""The exercises of the "Queuing System in JS" course, ported to Python (see docs/SPEC.md).

This module is only the *registry*: exercise name → one-line summary → entry
function. Entry functions are named by a ``"module:function"`` string and
imported on first use, so ``from queuesim.exercises import EXERCISES`` stays
light. Adding an exercise is one :class:`Exercise` line in ``_REGISTRY``.

An entry function takes the Redis URL chosen on the command line (``None``:
``REDIS_URL``, else the embedded store), plus the command-line options the
exercise declares in :attr:`Exercise.options` as keyword arguments, and
returns the exit code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["EXERCISES", "EntryPoint", "Exercise", "get_exercise"]

#: What an exercise's entry function looks like: ``entry(url, **options) -> exit code``.
EntryPoint = Callable[..., int]


@dataclass(frozen=True, slots=True)
class Exercise:
    """One runnable exercise: its original file name, a summary and where its entry function lives."""

    #: The original file's name without ``.js``, e.g. ``"1-redis_op"``.
    name: str
    #: One line for ``queuesim exercise --list``.
    summary: str
    #: ``"package.module:function"`` of the entry function.
    target: str
    #: True when the exercise only makes sense with a second process on the same server.
    cross_process: bool = False
    #: The ``queuesim exercise`` options the entry function takes as keyword arguments
    #: (``"timeout"`` for the job creators, ``"burst"`` for the processors).
    options: tuple[str, ...] = ()

    def load(self) -> EntryPoint:
        """Import and return the entry function."""
        module_name, _, func_name = self.target.partition(":")
        func: EntryPoint = getattr(importlib.import_module(module_name), func_name)
        return func


_REGISTRY: tuple[Exercise, ...] = (
    Exercise(
        "0-redis_client", "connect to Redis and say whether it worked", "queuesim.exercises.client:main"
    ),
    Exercise("1-redis_op", "SET and GET a school's value", "queuesim.exercises.basics:main"),
    Exercise(
        "2-redis_op_async",
        "the same SET and GET with redis.asyncio and await",
        "queuesim.exercises.async_ops:main",
    ),
    Exercise(
        "4-redis_advanced_op",
        "store schools in a hash with HSET, read it back with HGETALL",
        "queuesim.exercises.hashes:main",
    ),
    Exercise(
        "5-subscriber",
        "print messages on 'holberton school channel' until KILL_SERVER",
        "queuesim.exercises.pubsub:subscriber_main",
        cross_process=True,
    ),
    Exercise(
        "5-publisher",
        "publish four messages on 'holberton school channel', 100-400 ms apart",
        "queuesim.exercises.pubsub:publisher_main",
        cross_process=True,
    ),
    Exercise(
        "6-job_creator",
        "queue one push notification job, print its id, then whether it completed",
        "queuesim.exercises.notifications:creator_main",
        cross_process=True,
        options=("timeout",),
    ),
    Exercise(
        "6-job_processor",
        "send the notifications of push_notification_code jobs, until Ctrl-C",
        "queuesim.exercises.notifications:processor_main",
        cross_process=True,
        options=("burst",),
    ),
    Exercise(
        "7-job_creator",
        "queue 11 notification jobs, print their progress, failures and completions",
        "queuesim.exercises.notifications_progress:creator_main",
        cross_process=True,
        options=("timeout",),
    ),
    Exercise(
        "7-job_processor",
        "run push_notification_code_2 jobs two at a time, failing blacklisted numbers",
        "queuesim.exercises.notifications_progress:processor_main",
        cross_process=True,
        options=("burst",),
    ),
    Exercise(
        "8-job-main",
        "create_push_notifications_jobs: queue one job on push_notification_code_3",
        "queuesim.exercises.job_creation:main",
    ),
    Exercise(
        "9-stock",
        "serve 'In stock?' on port 1245: list products, reserve them without overselling",
        "queuesim.web.stock_app:main",
    ),
    Exercise(
        "100-seat",
        "serve 'Can I have a seat?' on port 1245: reserve seats through a job queue",
        "queuesim.web.seats_app:main",
    ),
)

#: Every exercise by name, in course order.
EXERCISES: dict[str, Exercise] = {exercise.name: exercise for exercise in _REGISTRY}


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``.

    Raises:
        KeyError: no exercise has that name; the message lists the known names.
    """
    try:
        return EXERCISES[name]
    except KeyError:
        known = ", ".join(EXERCISES)
        raise KeyError(f"no exercise named {name!r}; known exercises: {known}") from None
