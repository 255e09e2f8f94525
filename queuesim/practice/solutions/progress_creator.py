"""Task 8's creator, solved with queuesim's (:mod:`queuesim.exercises.notifications_progress`)."""

from __future__ import annotations

from collections.abc import Sequence

from queuesim.exercises import notifications_progress
from queuesim.queue import Job, Queue

#: The queue (Kue's job type).
QUEUE_NAME = notifications_progress.QUEUE
#: The jobs of the task, in order.
JOBS = notifications_progress.JOBS


def create_notification_jobs(queue: Queue, jobs: Sequence[dict[str, str]] = JOBS) -> list[Job]:
    """Save one job per element of ``jobs``, printing its id and, later, its events; return the jobs."""
    return notifications_progress.create_notification_jobs(queue, jobs)


if __name__ == "__main__":
    from queuesim.practice.runtime import run_creator

    run_creator(create_notification_jobs, QUEUE_NAME)
