"""Task 7's processor, solved with queuesim's (:mod:`queuesim.exercises.notifications`)."""

from __future__ import annotations

from queuesim.exercises import notifications
from queuesim.queue import Job, Queue, Worker

#: The queue (Kue's job type).
QUEUE_NAME = notifications.QUEUE


def send_notification(phone_number: str, message: str) -> None:
    """Print ``Sending notification to <phone_number>, with message: <message>``."""
    notifications.send_notification(phone_number, message)


def process_notification(job: Job) -> None:
    """The job handler: send the notification of ``job.data``."""
    data = job.data
    send_notification(data["phoneNumber"], data["message"])


def make_worker(queue: Queue) -> Worker:
    """The worker running process_notification on ``queue``'s jobs."""
    return Worker(queue, process_notification)


if __name__ == "__main__":
    from queuesim.practice.runtime import run_processor

    run_processor(make_worker, QUEUE_NAME)
