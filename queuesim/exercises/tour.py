"""``queuesim tour``: exercises 0 to 11 in order, in one process, with a header per exercise.

The outputs are those of docs/SPEC.md. Exercise 5's subscriber runs in a thread and
is joined before the tour ends. Each job processor runs in burst mode once its
creator has queued the jobs; its lines are printed in job order, then the
creator's report, job by job. So the output is the same on every run on a
fresh store (on a real server, re-running shows ``Reply: 0`` for fields the hash
already has, as docs/SPEC.md says, and job ids keep counting up).
"""

from __future__ import annotations

from queuesim.connection import connect
from queuesim.exercises import get_exercise, job_creation, notifications, notifications_progress
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

    print(header("6-job_creator + 6-job_processor: the processor runs the job, then the creator reports"))
    notifications.run_both(url)
    print(header("7-job_creator + 7-job_processor: 11 jobs two at a time; the processor's lines, then the creator's"))
    notifications_progress.run_both(url)
    main_job = get_exercise("8-job-main")
    print(header(f"{main_job.name}: {main_job.summary}"))
    main_job.load()(url)
    print(header("test mode (exercise 11): the same function records two jobs and writes nothing to Redis"))
    job_creation.show_test_mode(url)
    return 0
