"""Task 6's creator, solved with queuesim's (:mod:`queuesim.exercises.notifications`)."""

from __future__ import annotations

from queuesim.exercises import notifications
from queuesim.exercises.job_report import say
from queuesim.queue import Job, Queue

#: The queue (Kue's job type).
QUEUE_NAME = notifications.QUEUE


def create_notification_job(queue: Queue) -> Job:
    """Save one notification job on ``queue``, print its id, report its outcome; return it."""
    job = notifications.create_notification_job(queue)
    job_id = job.id or ""
    for event in ("complete", "failed"):
        job.on(event, lambda *args, _event=event: say(notifications.outcome_line(job_id, _event, args) or ""))
    return job


if __name__ == "__main__":
    from queuesim.practice.runtime import run_creator

    run_creator(create_notification_job, QUEUE_NAME)
