"""Exercise ``8-job-main`` (10 and 11 of docs/SPEC.md): ``create_push_notifications_jobs`` and its tests.

The Node ``8-job.js`` exported ``createPushNotificationsJobs(jobs, queue)``:
it threw ``Error('Jobs is not an array')`` unless ``jobs`` was an array, and
otherwise created one ``push_notification_code_3`` job per element with the
three listeners and the created line of exercise 8. ``8-job-main.js`` called it
with one job, and ``8-job.test.js`` (Mocha) tested it in Kue's test mode.

Here the error is a ``TypeError`` whose message is exactly ``Jobs is not an
array`` (raised for anything that is not a ``list``), every element is checked
before any job is saved, and the jobs go on ``queue``, which must be the
``push_notification_code_3`` queue (its test mode is where the test finds
them). ``8-job-main`` prints the created line and exits: no exercise processes
``push_notification_code_3`` (the original waited forever). The port of the
Mocha suite is ``tests/exercises/test_job_creation.py``.
"""

from __future__ import annotations

from typing import Any

from queuesim.connection import connect
from queuesim.exercises.notifications_progress import create_jobs, print_job_events
from queuesim.queue import Job, Queue

__all__ = [
    "JOBS_NOT_AN_ARRAY",
    "MAIN_JOBS",
    "QUEUE",
    "TEST_JOBS",
    "create_push_notifications_jobs",
    "main",
    "show_test_mode",
]

#: The queue of task 10.
QUEUE = "push_notification_code_3"
#: The exact message of the error raised for a ``jobs`` that is not a list.
JOBS_NOT_AN_ARRAY = "Jobs is not an array"
#: The list ``8-job-main`` passes.
MAIN_JOBS: tuple[dict[str, str], ...] = (
    {"phoneNumber": "4153518780", "message": "This is the code 1234 to verify your account"},
)
#: The two jobs of the Mocha test.
TEST_JOBS: tuple[dict[str, str], ...] = (
    {"phoneNumber": "4153518780", "message": "This is the code 1234 to verify your account"},
    {"phoneNumber": "4153518781", "message": "This is the code 4562 to verify your account"},
)


def create_push_notifications_jobs(jobs: list[Any], queue: Queue) -> list[Job]:
    """Create one job per element of ``jobs`` on ``queue``, printing as exercise 8's creator does.

    Prints ``Notification job created: <id>`` for each job, and later, on the
    queue's listener thread, its progress, completed and failed lines (see
    :func:`~queuesim.exercises.notifications_progress.print_job_events`). In the
    queue's test mode the jobs are only recorded, so only the created lines appear.

    Returns:
        the created jobs.

    Raises:
        TypeError: ``jobs`` is not a list (message: exactly ``Jobs is not an array``), or an
            element is not ``{"phoneNumber": str, "message": str}``.
        ValueError: ``queue`` is not the ``push_notification_code_3`` queue, or an element
            lacks a field. Nothing is created when anything is wrong.
    """
    if not isinstance(jobs, list):
        raise TypeError(JOBS_NOT_AN_ARRAY)
    if queue.name != QUEUE:
        raise ValueError(
            f"the jobs of task 10 go on queue {QUEUE!r}, not {queue.name!r}: "
            f"pass Queue({QUEUE!r}, redis=...)"
        )
    return create_jobs(queue, jobs, print_job_events)


def main(url: str | None = None) -> int:
    """Run ``8-job-main``: create :data:`MAIN_JOBS` on ``push_notification_code_3`` and exit."""
    client = connect(url)
    queue = Queue(QUEUE, redis=client)
    try:
        create_push_notifications_jobs(list(MAIN_JOBS), queue)
    finally:
        queue.close()
        client.close()
    return 0


def show_test_mode(url: str | None = None) -> list[Job]:
    """Exercise 11 in a few lines (tour, notebook): the function in the queue's test mode.

    Creates :data:`TEST_JOBS` while the test mode records them, prints one
    line per recorded job, and how many jobs the queue holds in Redis
    (unchanged: test mode writes nothing). Returns the recorded jobs.
    """
    client = connect(url)
    queue = Queue(QUEUE, redis=client)
    try:
        with queue.test_mode() as mode:
            create_push_notifications_jobs(list(TEST_JOBS), queue)
            recorded = list(mode.jobs)
            for job in recorded:
                print(f"recorded in test mode: job {job.id} of {job.queue.name} {job.data}")
        print(f"jobs of {QUEUE} in Redis: {sum(queue.counts().values())}")
    finally:
        queue.close()
        client.close()
    return recorded
