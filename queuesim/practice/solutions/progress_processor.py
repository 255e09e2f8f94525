"""Task 9's processor, solved with queuesim's (:mod:`queuesim.exercises.notifications_progress`)."""

from __future__ import annotations

from queuesim.exercises import notifications_progress
from queuesim.queue import Job, Queue, Worker

#: The queue (Kue's job type).
QUEUE_NAME = notifications_progress.QUEUE
#: The numbers that must never be sent to.
BLACKLISTED_NUMBERS: tuple[str, ...] = tuple(sorted(notifications_progress.BLACKLISTED_NUMBERS))


def send_notification(phone_number: str, message: str, job: Job) -> None:
    """Progress 0; fail a blacklisted number; else progress 50 and print the sending line."""
    notifications_progress.send_notification_with_progress(phone_number, message, job, blacklist=BLACKLISTED_NUMBERS)


def process_notification(job: Job) -> None:
    """The job handler: send_notification with the job's data."""
    data = job.data
    send_notification(data["phoneNumber"], data["message"], job)


def make_worker(queue: Queue) -> Worker:
    """The worker running process_notification on ``queue``'s jobs, two at a time."""
    return Worker(queue, process_notification, concurrency=notifications_progress.CONCURRENCY)


if __name__ == "__main__":
    from queuesim.practice.runtime import run_processor

    run_processor(make_worker, QUEUE_NAME)
